//! SDP from the media engine (our answer or P2P offer): parsing, its text round trip, and
//! SDP -> Jingle for the bridge and in P2P, whose result must survive the wire.

#![no_main]

use libfuzzer_sys::fuzz_target;
use omni_jitsi_core::jingle::{sdp_to_jingle, Action, AnswerOptions, Creator, Peer, Sdp};
use omni_jitsi_fuzz::round_trip::{assert_text_stable, assert_wire_stable};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(sdp) = Sdp::parse(text) else { return };
    assert_text_stable(&sdp);
    for (peer, creator) in [
        (Peer::Bridge, Creator::Responder),
        (Peer::P2p, Creator::Initiator),
    ] {
        let opts = AnswerOptions {
            peer,
            creator,
            local_sources: &[],
        };
        if let Ok(media) = sdp_to_jingle(&sdp, &opts) {
            let j = media.into_jingle(Action::SessionAccept, "s1", None, None);
            assert_wire_stable(&j);
        }
    }
});
