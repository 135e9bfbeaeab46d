//! SDP -> Jingle -> wire -> Jingle -> SDP (and the other way) keeps everything that matters.

use super::*;

#[test]
fn chromium_p2p_offer_survives_jingle_and_back() {
    let original = sdp("chromium-offer-p2p.sdp");
    let opts = AnswerOptions {
        peer: Peer::P2p,
        creator: Creator::Initiator,
        local_sources: &[],
    };
    let initiate = sdp_to_jingle(&original, &opts).unwrap().into_jingle(
        Action::SessionInitiate,
        "p2p8s2k1bq5",
        Some("conf1@conference.meet.test/a8f7g30b".into()),
        None,
    );
    let received = wire_round_trip(&initiate);
    let rebuilt = jingle_to_sdp(&received, &P2P_OFFER).unwrap();
    assert_eq!(view(&rebuilt), view(&original));
    // The rebuilt offer is text a PeerConnection parses back to the same thing.
    assert_eq!(
        view(&Sdp::parse(&rebuilt.to_string()).unwrap()),
        view(&original)
    );
}

#[test]
fn chromium_bridge_answer_survives_jingle_and_back() {
    let original = sdp("chromium-answer-bridge.sdp");
    let opts = AnswerOptions {
        peer: Peer::P2p,
        creator: Creator::Responder,
        local_sources: &[],
    };
    let mut accept = Jingle::new(Action::SessionAccept, "s");
    let media = sdp_to_jingle(&original, &opts).unwrap();
    accept.contents = media.contents;
    accept.groups = media.groups;
    let rebuilt = jingle_to_sdp(&wire_round_trip(&accept), &P2P_OFFER).unwrap();
    let mut expected = view(&original);
    // lib-jitsi-meet's mapping carries ICE candidates only from the m-line that has them, and the
    // SCTP m-line's max-message-size is restated as 262144; neither is in the view. Chromium's
    // recvonly m-lines carry no SSRCs and Jingle has none to give back either.
    expected
        .media
        .iter_mut()
        .for_each(|m| m.extmap_allow_mixed = m.media != "application");
    assert_eq!(view(&rebuilt), expected);
}

#[test]
fn jicofo_offer_survives_sdp_and_back() {
    let offer = jingle("jicofo-session-initiate.xml");
    let sdp = jingle_to_sdp(&offer, &OFFER).unwrap();
    let opts = AnswerOptions {
        peer: Peer::Bridge,
        creator: Creator::Initiator,
        local_sources: &[],
    };
    let back = sdp_to_jingle(&sdp, &opts).unwrap();
    let mut expected = content_views(&offer.contents);
    // Jicofo's data content carries an empty RTP description with media "application"; SDP has
    // only the SCTP m-line for it.
    expected[2].media = None;
    assert_eq!(content_views(&back.contents), expected);
    assert_eq!(back.groups[0].contents, offer.bundle().unwrap().contents);
}

#[test]
fn p2p_offer_survives_sdp_and_back() {
    let offer = jingle("p2p-session-initiate.xml");
    let sdp = jingle_to_sdp(&offer, &P2P_OFFER).unwrap();
    let opts = AnswerOptions {
        peer: Peer::P2p,
        creator: Creator::Initiator,
        local_sources: &[],
    };
    let back = sdp_to_jingle(&Sdp::parse(&sdp.to_string()).unwrap(), &opts).unwrap();
    assert_eq!(
        content_views(&back.contents),
        content_views(&offer.contents)
    );
    assert_eq!(back.groups, offer.groups);
}

#[test]
fn every_fixture_survives_the_wire() {
    for name in [
        "jicofo-session-initiate.xml",
        "jicofo-source-add.xml",
        "p2p-session-initiate.xml",
        "lib-jitsi-meet-session-accept.xml",
    ] {
        let j = jingle(name);
        assert_eq!(wire_round_trip(&j), j, "{name}");
    }
}
