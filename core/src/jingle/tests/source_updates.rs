//! Participants come and go: source-add/source-remove change the remote sources and the SDP.

use super::*;
use crate::jid::EndpointId;

fn bridge_session() -> (Vec<RemoteSource>, Sdp) {
    let offer = jingle("jicofo-session-initiate.xml");
    (
        remote_sources(&offer.contents, None).unwrap(),
        jingle_to_sdp(&offer, &OFFER).unwrap(),
    )
}

fn as_remove(mut j: Jingle) -> Jingle {
    j.action = Action::SourceRemove;
    j
}

#[test]
fn offer_sources_are_grouped_by_name_with_their_owner() {
    let (sources, _) = bridge_session();
    type Summary<'a> = (Option<&'a str>, Option<Owner>, Vec<u32>, Option<VideoType>);
    let summary: Vec<Summary> = sources
        .iter()
        .map(|s| {
            (
                s.name.as_deref(),
                s.owner.clone(),
                s.ssrcs.clone(),
                s.video_type,
            )
        })
        .collect();
    let ep = |id: &str| Some(Owner::Endpoint(EndpointId::new(id)));
    assert_eq!(
        summary,
        [
            (Some("jvb-a0"), Some(Owner::Bridge), vec![4039389863], None),
            (Some("a8f7g30b-a0"), ep("a8f7g30b"), vec![1757014965], None),
            (Some("jvb-v0"), Some(Owner::Bridge), vec![3758540092], None),
            (
                Some("a8f7g30b-v0"),
                ep("a8f7g30b"),
                vec![2290418313, 1407282347],
                Some(VideoType::Camera)
            ),
            (
                Some("c3d4e5f6-v1"),
                ep("c3d4e5f6"),
                vec![918244605, 3010273531],
                Some(VideoType::Desktop)
            ),
        ]
    );
    assert_eq!(sources[3].groups[0].semantics, "FID");
    assert_eq!(
        sources[1].endpoint().map(EndpointId::as_str),
        Some("a8f7g30b")
    );
}

#[test]
fn source_add_of_a_new_participant_adds_sendonly_mlines() {
    let (sources, sdp) = bridge_session();
    let update = apply_source_update(
        &sources,
        &jingle("jicofo-source-add.xml"),
        &sdp,
        Peer::Bridge,
        None,
    )
    .unwrap();

    let added: Vec<(&str, &str)> = update
        .added
        .iter()
        .map(|s| (s.name.as_deref().unwrap(), s.endpoint().unwrap().as_str()))
        .collect();
    assert_eq!(
        added,
        [("e5f6a7b8-a0", "e5f6a7b8"), ("e5f6a7b8-v0", "e5f6a7b8")]
    );
    assert_eq!(update.sources.len(), 7);

    let v = view(&Sdp::parse(&update.sdp.to_string()).unwrap());
    assert_eq!(v.media.len(), 8);
    let (audio, video) = (&v.media[6], &v.media[7]);
    assert_eq!(
        (audio.media.as_str(), audio.mid.as_deref(), audio.direction),
        ("audio", Some("6"), Some(Direction::SendOnly))
    );
    assert_eq!(
        audio.ssrcs,
        BTreeMap::from([(
            581140233,
            Some("e5f6a7b8-audio-0 3e2d1c0b-a987-4654-b321-0fedcba98765".to_string())
        )])
    );
    assert_eq!(
        (video.mid.as_deref(), video.direction),
        (Some("7"), Some(Direction::SendOnly))
    );
    assert_eq!(
        video.ssrcs.keys().copied().collect::<Vec<_>>(),
        [1120332114, 2945713007]
    );
    assert_eq!(
        video.ssrc_groups,
        BTreeSet::from(["FID 1120332114 2945713007".to_string()])
    );
    // Codecs and transport come from the first m-line of the media type.
    assert_eq!(video.codecs, v.media[2].codecs);
    assert_eq!(video.fingerprints, v.media[2].fingerprints);
    assert_eq!(v.bundle.unwrap().last().map(String::as_str), Some("7"));
    assert!(update
        .sdp
        .to_string()
        .contains("o=- 1700000000000 3 IN IP4"));
}

#[test]
fn source_remove_keeps_the_mlines_open_without_sources_and_restores_the_set() {
    let (sources, sdp) = bridge_session();
    let added = apply_source_update(
        &sources,
        &jingle("jicofo-source-add.xml"),
        &sdp,
        Peer::Bridge,
        None,
    )
    .unwrap();
    let removed = apply_source_update(
        &added.sources,
        &as_remove(jingle("jicofo-source-add.xml")),
        &added.sdp,
        Peer::Bridge,
        None,
    )
    .unwrap();

    assert_eq!(removed.sources, sources);
    assert_eq!(removed.removed, added.added);
    let v = view(&removed.sdp);
    assert_eq!(v.media.len(), 8, "unified plan never drops m-lines");
    // Not rejected: webrtc-rs would stop the transceiver for good and keep its SSRCs.
    for m in &v.media[6..] {
        assert!(!m.rejected);
        assert_eq!(m.direction, Some(Direction::SendOnly));
        assert!(m.ssrcs.is_empty() && m.ssrc_groups.is_empty());
    }
    assert_eq!(v.media[..6], view(&sdp).media[..]);
}

/// What a lib-jitsi-meet tab does to the bridge session around a P2P session: its sources are
/// removed while P2P carries its media and added back, same SSRCs and msid, when media returns to
/// the bridge. They go back on the m-lines they left, so no SSRC is ever listed by two m-lines.
#[test]
fn a_source_that_comes_back_takes_its_mline_again() {
    let (sources, sdp) = bridge_session();
    let add = jingle("jicofo-source-add.xml");
    let added = apply_source_update(&sources, &add, &sdp, Peer::Bridge, None).unwrap();
    let removed = apply_source_update(
        &added.sources,
        &as_remove(add.clone()),
        &added.sdp,
        Peer::Bridge,
        None,
    )
    .unwrap();
    let back =
        apply_source_update(&removed.sources, &add, &removed.sdp, Peer::Bridge, None).unwrap();

    assert_eq!(back.added, added.added);
    assert_eq!(back.sources, added.sources);
    let (first, again) = (view(&added.sdp), view(&back.sdp));
    assert_eq!(again.media.len(), 8, "no new m-lines");
    assert_eq!(again.media, first.media);
    assert_eq!(again.bundle, first.bundle);
    let holders = |ssrc: u32| {
        back.sdp
            .media
            .iter()
            .filter(|m| m.ssrcs().contains(&ssrc))
            .count()
    };
    assert_eq!((holders(581140233), holders(1120332114)), (1, 1));
}

/// Someone else's source, or the same source with new SSRCs or a new msid, takes a free m-line
/// of its media type as well; a source the bridge demuxes by another mid gets its own.
#[test]
fn a_free_mline_is_reused_by_the_next_source_of_its_media_type() {
    let (sources, sdp) = bridge_session();
    let add = jingle("jicofo-source-add.xml");
    let added = apply_source_update(&sources, &add, &sdp, Peer::Bridge, None).unwrap();
    let removed = apply_source_update(
        &added.sources,
        &as_remove(add),
        &added.sdp,
        Peer::Bridge,
        None,
    )
    .unwrap();

    let xml = fixture("jicofo-source-add.xml")
        .replace("581140233", "77")
        .replace("e5f6a7b8-audio-0 3e2d1c0b", "e5f6a7b8-audio-1 99999999");
    let mut other = parse_jingle(&element(&xml)).unwrap();
    other.contents.truncate(1);
    let reused =
        apply_source_update(&removed.sources, &other, &removed.sdp, Peer::Bridge, None).unwrap();
    let v = view(&reused.sdp);
    assert_eq!(v.media.len(), 8);
    assert_eq!(
        (v.media[6].mid.as_deref(), v.media[6].direction),
        (Some("6"), Some(Direction::SendOnly))
    );
    assert_eq!(
        v.media[6].ssrcs,
        BTreeMap::from([(
            77,
            Some("e5f6a7b8-audio-1 99999999-a987-4654-b321-0fedcba98765".into())
        )])
    );

    let demuxed = fixture("jicofo-source-add.xml").replace(
        "<parameter name=\"msid\" value=\"e5f6a7b8-audio-0 3e2d1c0b-a987-4654-b321-0fedcba98765\"/>",
        "<parameter name=\"msid\" value=\"e5f6a7b8-audio-0 3e2d1c0b-a987-4654-b321-0fedcba98765\"/>\
         <parameter name=\"mid\" value=\"42\"/>",
    );
    let mut demuxed = parse_jingle(&element(&demuxed)).unwrap();
    demuxed.contents.truncate(1);
    let fresh =
        apply_source_update(&removed.sources, &demuxed, &removed.sdp, Peer::Bridge, None).unwrap();
    let v = view(&fresh.sdp);
    assert_eq!(v.media.len(), 9);
    assert_eq!(v.media[8].mid.as_deref(), Some("42"));
    assert!(v.media[6].ssrcs.is_empty());
}

#[test]
fn removing_a_screen_share_leaves_other_sources_alone() {
    let (sources, sdp) = bridge_session();
    let mut remove = Jingle::new(Action::SourceRemove, "7kq3b0c8ufhg6");
    let mut description = RtpDescription::new(Media::Video);
    description.sources.push(Source {
        ssrc: 918244605,
        name: Some("c3d4e5f6-v1".into()),
        video_type: None,
        parameters: vec![],
        owner: None,
    });
    remove.contents.push(Content {
        creator: Creator::Initiator,
        name: "video".into(),
        senders: None,
        frame_heights: Vec::new(),
        description: Some(description),
        transport: None,
    });
    let update = apply_source_update(&sources, &remove, &sdp, Peer::Bridge, None).unwrap();
    assert_eq!(update.removed.len(), 1);
    assert_eq!(update.removed[0].ssrcs, vec![918244605, 3010273531]);
    let v = view(&update.sdp);
    assert!(!v.media[4].rejected && v.media[4].ssrcs.is_empty());
    assert_eq!(v.media[3], view(&sdp).media[3]);
}

#[test]
fn repeated_source_add_changes_nothing() {
    let (sources, sdp) = bridge_session();
    let add = jingle("jicofo-source-add.xml");
    let once = apply_source_update(&sources, &add, &sdp, Peer::Bridge, None).unwrap();
    let twice = apply_source_update(&once.sources, &add, &once.sdp, Peer::Bridge, None).unwrap();
    assert!(twice.added.is_empty());
    assert_eq!(twice.sdp, once.sdp);
}

#[test]
fn p2p_screen_share_swap_reuses_the_video_mline() {
    let peer = EndpointId::new("a8f7g30b");
    let offer = jingle("p2p-session-initiate.xml");
    let sources = remote_sources(&offer.contents, Some(&peer)).unwrap();
    assert!(sources.iter().all(|s| s.endpoint() == Some(&peer)));
    let sdp = jingle_to_sdp(&offer, &P2P_OFFER).unwrap();

    let camera = sources.iter().find(|s| s.media == Media::Video).unwrap();
    let mut remove = Jingle::new(Action::SourceRemove, "p2p8s2k1bq5");
    remove.contents = vec![offer.contents[1].clone()];
    let removed = apply_source_update(&sources, &remove, &sdp, Peer::P2p, Some(&peer)).unwrap();
    assert_eq!(removed.removed, vec![camera.clone()]);
    let v = view(&removed.sdp);
    assert_eq!(
        (v.media[1].direction, v.media[1].rejected),
        (Some(Direction::RecvOnly), false)
    );

    let ep = EndpointId::new("a8f7g30b");
    let screen = LocalSource::screen(&ep, 5150, Some(5151), "s t");
    let add = local_sources_jingle(Action::SourceAdd, "p2p8s2k1bq5", &[screen]);
    let added = apply_source_update(
        &removed.sources,
        &wire_round_trip(&add),
        &removed.sdp,
        Peer::P2p,
        Some(&peer),
    )
    .unwrap();
    let v = view(&added.sdp);
    assert_eq!(v.media.len(), 2);
    assert_eq!(v.media[1].direction, Some(Direction::SendRecv));
    assert_eq!(
        v.media[1].ssrcs.keys().copied().collect::<Vec<_>>(),
        [5150, 5151]
    );
    assert_eq!(added.added[0].video_type, Some(VideoType::Desktop));
    assert_eq!(added.added[0].name.as_deref(), Some("a8f7g30b-v1"));
}

#[test]
fn other_actions_are_not_source_updates() {
    let (sources, sdp) = bridge_session();
    let err = apply_source_update(
        &sources,
        &jingle("jicofo-session-initiate.xml"),
        &sdp,
        Peer::Bridge,
        None,
    )
    .unwrap_err();
    assert_eq!(err, JingleError::UnexpectedAction(Action::SessionInitiate));
}

#[test]
fn local_sources_follow_jitsi_names() {
    let ep = EndpointId::new("d1e2f3a4");
    let mic = LocalSource::microphone(&ep, 1, "a b");
    let cam = LocalSource::camera(&ep, 2, Some(3), "a c");
    let screen = LocalSource::screen(&ep, 4, Some(5), "a d");
    assert_eq!(
        [mic.name.as_str(), cam.name.as_str(), screen.name.as_str()],
        ["d1e2f3a4-a0", "d1e2f3a4-v0", "d1e2f3a4-v1"]
    );
    assert_eq!(
        (cam.video_type, screen.video_type),
        (Some(VideoType::Camera), Some(VideoType::Desktop))
    );

    let add = wire_round_trip(&local_sources_jingle(
        Action::SourceAdd,
        "sid",
        &[mic, screen],
    ));
    assert_eq!(
        add.contents
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        ["audio", "video"]
    );
    let video = add.contents[1].description.as_ref().unwrap();
    assert_eq!(
        video.sources.iter().map(|s| s.ssrc).collect::<Vec<_>>(),
        [4, 5]
    );
    assert!(video
        .sources
        .iter()
        .all(|s| s.name.as_deref() == Some("d1e2f3a4-v1")
            && s.video_type.as_deref() == Some("desktop")
            && s.msid() == Some("a d")));
    assert_eq!(
        video.ssrc_groups,
        vec![SsrcGroup {
            semantics: "FID".into(),
            ssrcs: vec![4, 5]
        }]
    );
}

#[test]
fn a_source_with_a_bridge_mid_gets_that_mid() {
    let (sources, sdp) = bridge_session();
    let xml = fixture("jicofo-source-add.xml").replace(
        "<parameter name=\"msid\" value=\"e5f6a7b8-audio-0 3e2d1c0b-a987-4654-b321-0fedcba98765\"/>",
        "<parameter name=\"msid\" value=\"e5f6a7b8-audio-0 3e2d1c0b-a987-4654-b321-0fedcba98765\"/>\
         <parameter name=\"mid\" value=\"42\"/>",
    );
    let update = apply_source_update(
        &sources,
        &parse_jingle(&element(&xml)).unwrap(),
        &sdp,
        Peer::Bridge,
        None,
    )
    .unwrap();
    assert_eq!(update.added[0].mid.as_deref(), Some("42"));
    let v = view(&update.sdp);
    assert_eq!(v.media[6].mid.as_deref(), Some("42"));
    assert_eq!(v.media[7].mid.as_deref(), Some("7"));
    assert!(
        update.sdp.media[6]
            .attrs("ssrc")
            .all(|v| !v.contains(" mid:")),
        "mid is not an SSRC attribute"
    );
    assert_eq!(v.bundle.unwrap()[6..], ["42".to_string(), "7".to_string()]);
}

/// A layer's RTX is tied to the lowest layer only through that layer (FID, then SIM).
#[test]
fn unnamed_simulcast_layers_and_their_rtx_are_one_source() {
    let xml = unnamed_simulcast_source_add();
    let sources = remote_sources(&parse_jingle(&element(&xml)).unwrap().contents, None).unwrap();
    assert_eq!(sources.len(), 1, "{sources:?}");
    assert_eq!(sources[0].primary_ssrc(), Some(10));
    let mut ssrcs = sources[0].ssrcs.clone();
    ssrcs.sort_unstable();
    assert_eq!(ssrcs, [10, 11, 12, 20, 21, 22]);
    assert_eq!(sources[0].groups.len(), 4);
}

/// A browser's simulcast source added on the bridge: the SDP keeps its first layer and that
/// layer's RTX only, as the initial offer does (see `offer.rs`).
#[test]
fn a_simulcast_source_add_is_received_as_its_first_layer() {
    let (sources, sdp) = bridge_session();
    let xml = unnamed_simulcast_source_add();
    let update = apply_source_update(
        &sources,
        &parse_jingle(&element(&xml)).unwrap(),
        &sdp,
        Peer::Bridge,
        None,
    )
    .unwrap();
    assert_eq!(update.added.len(), 1);
    assert_eq!(
        update.added[0].ssrcs.len(),
        6,
        "the source keeps every SSRC"
    );
    let v = view(&update.sdp);
    let added = v.media.last().unwrap();
    assert_eq!(added.ssrcs.keys().copied().collect::<Vec<_>>(), [10, 20]);
    assert_eq!(added.ssrc_groups.len(), 1);
}

/// lib-jitsi-meet 2021 without source names, as Chromium sent it to the bridge: three simulcast
/// layers (10, 11, 12), each with its RTX (20, 21, 22), listed layer, RTX, layer, layer, RTX, RTX.
fn unnamed_simulcast_source_add() -> String {
    let source = |ssrc: u32| {
        format!(
            "<source xmlns='urn:xmpp:jingle:apps:rtp:ssma:0' ssrc='{ssrc}'>\
             <parameter name='msid' value='s v'/>\
             <ssrc-info xmlns='http://jitsi.org/jitmeet' owner='a1cfb6e0'/></source>"
        )
    };
    let group = |semantics: &str, ssrcs: &[u32]| {
        let members: String = ssrcs
            .iter()
            .map(|s| format!("<source ssrc='{s}'/>"))
            .collect();
        format!("<ssrc-group xmlns='urn:xmpp:jingle:apps:rtp:ssma:0' semantics='{semantics}'>{members}</ssrc-group>")
    };
    let order = [10, 20, 11, 12, 21, 22];
    format!(
        "<jingle xmlns='urn:xmpp:jingle:1' action='source-add' sid='s1'>\
         <content creator='initiator' name='video'>\
         <description xmlns='urn:xmpp:jingle:apps:rtp:1' media='video'>{}{}{}{}{}</description>\
         </content></jingle>",
        order.iter().map(|s| source(*s)).collect::<String>(),
        group("FID", &[10, 20]),
        group("SIM", &[10, 11, 12]),
        group("FID", &[11, 21]),
        group("FID", &[12, 22]),
    )
}
