//! Jingle from the focus or a peer: parsing, the wire round trip, Jingle -> SDP towards the
//! bridge and in P2P (the SDP text must parse back to itself), and what a source-add or
//! transport-info does to that SDP.

#![no_main]

use libfuzzer_sys::fuzz_target;
use omni_jitsi_core::jingle::{
    apply_source_update, jingle_to_sdp, parse_jingle, remote_candidates, remote_sources,
    OfferOptions, Peer,
};
use omni_jitsi_core::xmpp::ns;
use omni_jitsi_core::EndpointId;
use omni_jitsi_fuzz::round_trip::{assert_text_stable, assert_wire_stable};
use omni_jitsi_fuzz::stanza;

fuzz_target!(|data: &[u8]| {
    let Some(el) = stanza(data) else { return };
    // Seeds are bare <jingle> elements or the IQs carrying them.
    let el = el.get_child("jingle", ns::JINGLE).unwrap_or(&el);
    let Ok(j) = parse_jingle(el) else { return };
    assert_wire_stable(&j);
    let peer_id = EndpointId::new("a8f7g30b");
    for (peer, owner) in [(Peer::Bridge, None), (Peer::P2p, Some(&peer_id))] {
        let _ = remote_sources(&j.contents, owner);
        let opts = OfferOptions {
            peer,
            session_id: 1_700_000_000_000,
        };
        let Ok(sdp) = jingle_to_sdp(&j, &opts) else {
            continue;
        };
        assert_text_stable(&sdp);
        let _ = remote_candidates(&j, &sdp, peer);
        if let Ok(update) = apply_source_update(&[], &j, &sdp, peer, owner) {
            assert_text_stable(&update.sdp);
        }
    }
});
