//! Jicofo's compact JSON sources. To clients that advertise `http://jitsi.org/json-encoded-sources`
//! Jicofo sends sources as `<json-message xmlns="http://jitsi.org/jitmeet">{"sources":{...}}`
//! instead of `<source>` elements (jicofo `EndpointSourceSet.compactJson`), which keeps the
//! session-initiate of a large conference far below the stanza limit. Each owner maps to
//! `[video sources, video groups, audio sources, audio groups?]`, a source is
//! `{"s": ssrc, "n": name, "m": msid, "v": "d" for desktop}` and a group `["f"|"s", ssrc, ...]`.
//! They are expanded into the same model `<source>` elements give, as lib-jitsi-meet's
//! `expandSourcesFromJson` does.

use serde_json::Value;

use super::error::JingleError;
use super::limits;
use super::model::{Content, Creator, Media, Parameter, RtpDescription, Source, SsrcGroup};
use super::sdp_text::{is_line_safe, is_token};

const E: &str = "json-message";

pub(crate) fn expand(contents: &mut Vec<Content>, json: &str) -> Result<(), JingleError> {
    let value: Value =
        serde_json::from_str(json).map_err(|_| JingleError::invalid(E, "json", json))?;
    let Some(owners) = value.get("sources") else {
        // Other JSON messages share the element; they carry no sources.
        return Ok(());
    };
    let owners = owners
        .as_object()
        .ok_or_else(|| JingleError::invalid(E, "sources", "not an object"))?;
    for (owner, sets) in owners {
        if !is_token(owner) {
            return Err(JingleError::invalid(E, "owner", owner));
        }
        let sets = sets
            .as_array()
            .ok_or_else(|| JingleError::invalid(E, "sources", owner))?;
        let part = |i: usize| {
            sets.get(i)
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or(&[])
        };
        for (media, sources, groups) in [
            (Media::Video, part(0), part(1)),
            (Media::Audio, part(2), part(3)),
        ] {
            if sources.is_empty() && groups.is_empty() {
                continue;
            }
            let d = description(contents, media)?;
            for s in sources {
                if d.sources.len() == limits::MAX_SOURCES {
                    return Err(JingleError::TooMany {
                        what: "sources",
                        limit: limits::MAX_SOURCES,
                    });
                }
                d.sources.push(source(s, owner, media)?);
            }
            for g in groups {
                if d.ssrc_groups.len() == limits::MAX_SOURCES {
                    return Err(JingleError::TooMany {
                        what: "ssrc groups",
                        limit: limits::MAX_SOURCES,
                    });
                }
                d.ssrc_groups.extend(group(g)?);
            }
        }
    }
    Ok(())
}

fn description(
    contents: &mut Vec<Content>,
    media: Media,
) -> Result<&mut RtpDescription, JingleError> {
    let index = match contents.iter().position(|c| c.name == media.as_str()) {
        Some(i) => i,
        None => {
            if contents.len() == limits::MAX_CONTENTS {
                return Err(JingleError::TooMany {
                    what: "contents",
                    limit: limits::MAX_CONTENTS,
                });
            }
            contents.push(Content {
                creator: Creator::Initiator,
                name: media.as_str().to_string(),
                senders: None,
                frame_heights: Vec::new(),
                description: None,
                transport: None,
            });
            contents.len() - 1
        }
    };
    Ok(contents[index]
        .description
        .get_or_insert_with(|| RtpDescription::new(media)))
}

fn source(v: &Value, owner: &str, media: Media) -> Result<Source, JingleError> {
    let ssrc = ssrc(v.get("s").ok_or(JingleError::MissingAttribute {
        element: E,
        attr: "s",
    })?)?;
    let text = |key: &'static str, ok: fn(&str) -> bool| -> Result<Option<String>, JingleError> {
        match v.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if ok(s) => Ok(Some(s.clone())),
            Some(other) => Err(JingleError::invalid(E, key, &other.to_string())),
        }
    };
    let name = text("n", is_token)?;
    let msid = text("m", is_line_safe)?;
    // Jicofo marks only desktop sources; every other video source is a camera.
    let video_type = match (media, v.get("v")) {
        (Media::Video, Some(_)) => Some("desktop"),
        (Media::Video, None) => Some("camera"),
        _ => None,
    };
    Ok(Source {
        ssrc,
        name,
        video_type: video_type.map(str::to_string),
        parameters: msid
            .map(|m| vec![Parameter::new("msid", m)])
            .unwrap_or_default(),
        owner: Some(owner.to_string()),
    })
}

fn group(v: &Value) -> Result<Option<SsrcGroup>, JingleError> {
    let items = v
        .as_array()
        .ok_or_else(|| JingleError::invalid(E, "group", &v.to_string()))?;
    let semantics = match items.first().and_then(Value::as_str) {
        Some("f") => "FID",
        Some("s") => "SIM",
        // lib-jitsi-meet cannot name other semantics either; the group is left out.
        _ => return Ok(None),
    };
    if items.len() > limits::MAX_GROUP_SSRCS + 1 {
        return Err(JingleError::TooMany {
            what: "ssrcs in a group",
            limit: limits::MAX_GROUP_SSRCS,
        });
    }
    Ok(Some(SsrcGroup {
        semantics: semantics.to_string(),
        ssrcs: items[1..].iter().map(ssrc).collect::<Result<_, _>>()?,
    }))
}

/// Jicofo writes SSRCs as JSON numbers; lib-jitsi-meet also accepts strings.
fn ssrc(v: &Value) -> Result<u32, JingleError> {
    let parsed = match v {
        Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        Value::String(s) if s.bytes().all(|b| b.is_ascii_digit()) => s.parse().ok(),
        _ => None,
    };
    parsed.ok_or_else(|| JingleError::invalid(E, "s", &v.to_string()))
}
