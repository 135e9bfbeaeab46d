//! Jicofo's compact JSON sources mean exactly what the `<source>` elements mean.

use super::*;

/// Name, owner, SSRCs, groups and msid of each source, by primary SSRC.
type SourceSummary = (
    Option<String>,
    Option<Owner>,
    Vec<u32>,
    Vec<SsrcGroup>,
    Option<String>,
);

fn sorted_sources(j: &Jingle) -> Vec<SourceSummary> {
    let mut out: Vec<_> = remote_sources(&j.contents, None)
        .unwrap()
        .into_iter()
        .map(|s| (s.name, s.owner, s.ssrcs, s.groups, s.msid))
        .collect();
    out.sort_by_key(|s| s.2[0]);
    out
}

#[test]
fn json_encoded_offer_has_the_same_sources_and_sdp() {
    let json = jingle("jicofo-session-initiate-json.xml");
    let elements = jingle("jicofo-session-initiate.xml");
    assert_eq!(sorted_sources(&json), sorted_sources(&elements));

    let desktop = remote_sources(&json.contents, None)
        .unwrap()
        .into_iter()
        .find(|s| s.name.as_deref() == Some("c3d4e5f6-v1"))
        .unwrap();
    assert_eq!(desktop.video_type, Some(VideoType::Desktop));

    let from_json = view(&jingle_to_sdp(&json, &OFFER).unwrap());
    let from_elements = view(&jingle_to_sdp(&elements, &OFFER).unwrap());
    let tracks = |v: &SdpView| -> BTreeSet<(String, Vec<u32>, Option<&'static str>)> {
        v.media
            .iter()
            .map(|m| {
                (
                    m.media.clone(),
                    m.ssrcs.keys().copied().collect(),
                    m.direction.map(Direction::as_str),
                )
            })
            .collect()
    };
    assert_eq!(tracks(&from_json), tracks(&from_elements));
    assert_eq!(
        from_json.media[0].ssrcs.keys().copied().collect::<Vec<_>>(),
        [4039389863],
        "bridge source first"
    );
}

#[test]
fn json_source_add_creates_its_contents() {
    let add = parse_jingle(&element(
        "<jingle xmlns='urn:xmpp:jingle:1' action='source-add' sid='s'>\
         <json-message xmlns='http://jitsi.org/jitmeet'>{\"sources\":{\"e5f6a7b8\":[[{\"s\":1120332114,\"n\":\"e5f6a7b8-v0\",\"m\":\"a b\"},\
         {\"s\":2945713007,\"n\":\"e5f6a7b8-v0\",\"m\":\"a b\"}],[[\"f\",1120332114,2945713007]],[{\"s\":\"581140233\",\"n\":\"e5f6a7b8-a0\"}]]}}</json-message>\
         </jingle>",
    ))
    .unwrap();
    let sources = remote_sources(&add.contents, None).unwrap();
    let summary: Vec<(&str, Vec<u32>, Option<VideoType>)> = sources
        .iter()
        .map(|s| (s.name.as_deref().unwrap(), s.ssrcs.clone(), s.video_type))
        .collect();
    assert_eq!(
        summary,
        [
            (
                "e5f6a7b8-v0",
                vec![1120332114, 2945713007],
                Some(VideoType::Camera)
            ),
            ("e5f6a7b8-a0", vec![581140233], None),
        ]
    );
    assert!(sources
        .iter()
        .all(|s| s.endpoint().map(|e| e.as_str()) == Some("e5f6a7b8")));
}

#[test]
fn hostile_json_sources_are_typed_errors() {
    let with = |json: &str| {
        parse_jingle(&element(&format!(
            "<jingle xmlns='urn:xmpp:jingle:1' action='source-add' sid='s'>\
             <json-message xmlns='http://jitsi.org/jitmeet'>{json}</json-message></jingle>"
        )))
    };
    for json in [
        "{\"sources\":",
        "{\"sources\":[]}",
        "{\"sources\":{\"ep\":[[{\"s\":4294967296}]]}}",
        "{\"sources\":{\"ep\":[[{\"s\":-1}]]}}",
        "{\"sources\":{\"ep\":[[{\"n\":\"x\"}]]}}",
        "{\"sources\":{\"ep\":[[{\"s\":1,\"m\":\"a\\r\\na=ice-lite\"}]]}}",
        "{\"sources\":{\"e p\":[[{\"s\":1}]]}}",
        "{\"sources\":{\"ep\":[[],[[\"f\",1,\"x\"]]]}}",
    ] {
        assert!(
            matches!(
                with(json),
                Err(JingleError::InvalidAttribute {
                    element: "json-message",
                    ..
                } | JingleError::MissingAttribute { .. })
            ),
            "{json}"
        );
    }
    let many: Vec<String> = (0..=limits::MAX_SOURCES)
        .map(|s| format!("{{\"s\":{s}}}"))
        .collect();
    assert_eq!(
        with(&format!(
            "{{\"sources\":{{\"ep\":[[{}]]}}}}",
            many.join(",")
        ))
        .unwrap_err(),
        JingleError::TooMany {
            what: "sources",
            limit: limits::MAX_SOURCES
        }
    );
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    assert!(with(&format!("{{\"sources\":{deep}}}")).is_err());
    assert!(
        with("{\"other\":1}").unwrap().contents.is_empty(),
        "other JSON messages carry no sources"
    );
}
