//! The SDPs we hand the PeerConnection parse with webrtc 0.21's own SDP parser (`rtc-sdp`) into
//! the same m-lines, mids and codecs: the media engine can take them as they are.

use std::io::Cursor;

use rtc_sdp::SessionDescription;

use super::*;
use crate::jid::EndpointId;

pub(super) fn assert_webrtc_reads(ours: &Sdp) {
    let text = ours.to_string();
    let theirs = SessionDescription::unmarshal(&mut Cursor::new(text.as_bytes()))
        .unwrap_or_else(|e| panic!("rtc-sdp refused our SDP: {e}\n{text}"));
    assert_eq!(theirs.media_descriptions.len(), ours.media.len());
    for (t, o) in theirs.media_descriptions.iter().zip(&ours.media) {
        assert_eq!(t.media_name.media, o.media);
        assert_eq!(t.media_name.port.value, o.port as isize);
        assert_eq!(t.media_name.formats, o.formats);
        let attr = |name: &str| t.attribute(name).flatten().map(str::to_string);
        assert_eq!(attr("mid").as_deref(), o.mid());
        assert_eq!(attr("ice-ufrag").as_deref(), o.attr("ice-ufrag"));
        assert_eq!(
            t.attributes.iter().filter(|a| a.key == "ssrc").count(),
            o.attrs("ssrc").count()
        );
    }
    assert_eq!(theirs.attribute("group").is_some(), ours.bundle().is_some());
}

#[test]
fn bridge_and_p2p_offers_parse_with_webrtc_rs() {
    assert_webrtc_reads(&jingle_to_sdp(&jingle("jicofo-session-initiate.xml"), &OFFER).unwrap());
    assert_webrtc_reads(&jingle_to_sdp(&jingle("p2p-session-initiate.xml"), &P2P_OFFER).unwrap());
    assert_webrtc_reads(
        &jingle_to_sdp(&jingle("lib-jitsi-meet-session-accept.xml"), &P2P_OFFER).unwrap(),
    );
}

#[test]
fn remote_sdp_after_source_add_and_remove_parses_with_webrtc_rs() {
    let offer = jingle("jicofo-session-initiate.xml");
    let sources = remote_sources(&offer.contents, None).unwrap();
    let sdp = jingle_to_sdp(&offer, &OFFER).unwrap();
    let add = jingle("jicofo-source-add.xml");
    let added = apply_source_update(&sources, &add, &sdp, Peer::Bridge, None).unwrap();
    assert_webrtc_reads(&added.sdp);
    let mut remove = add;
    remove.action = Action::SourceRemove;
    let removed =
        apply_source_update(&added.sources, &remove, &added.sdp, Peer::Bridge, None).unwrap();
    assert_webrtc_reads(&removed.sdp);

    let peer = EndpointId::new("a8f7g30b");
    let p2p = jingle("p2p-session-initiate.xml");
    let p2p_sources = remote_sources(&p2p.contents, Some(&peer)).unwrap();
    let mut remove = Jingle::new(Action::SourceRemove, "p2p8s2k1bq5");
    remove.contents = vec![p2p.contents[1].clone()];
    let p2p_sdp = jingle_to_sdp(&p2p, &P2P_OFFER).unwrap();
    let removed =
        apply_source_update(&p2p_sources, &remove, &p2p_sdp, Peer::P2p, Some(&peer)).unwrap();
    assert_webrtc_reads(&removed.sdp);
}

#[test]
fn browser_fixtures_parse_with_webrtc_rs_too() {
    for name in [
        "chromium-answer-bridge.sdp",
        "firefox-answer-bridge.sdp",
        "chromium-offer-p2p.sdp",
        "webrtc-rs-answer-bridge.sdp",
    ] {
        assert_webrtc_reads(&sdp(name));
    }
}
