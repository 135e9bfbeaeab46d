//! The colibri-ws messages: JSON objects tagged by `colibriClass`, as jitsi-videobridge defines
//! them (`org.jitsi.videobridge.message.BridgeChannelMessage`) and lib-jitsi-meet's BridgeChannel
//! reads and writes them. Parsing is tolerant the way the web client is: an unknown class is
//! reported as such, never an error; a known class with unusable fields is an error and dropped.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Far above any real message (a ForwardedSources list of a few hundred names) and far below
/// what could hurt a phone.
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024;
/// Bounds every list a bridge message carries.
pub const MAX_LIST: usize = 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    #[error("bridge message of {0} bytes is over the limit")]
    TooLarge(usize),
    #[error("bridge message is not a JSON object: {0}")]
    NotAnObject(String),
    #[error("bridge message has no colibriClass")]
    NoClass,
    #[error("bad {class} message: {detail}")]
    Invalid { class: String, detail: String },
}

/// How the bridge maps a forwarded source to the SSRC it rewrote it to (SSRC rewriting mode).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceMapping {
    pub source: String,
    pub owner: Option<String>,
    pub ssrc: u32,
    #[serde(default)]
    pub rtx: Option<u32>,
    #[serde(default)]
    pub video_type: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FromBridge {
    ServerHello {
        version: Option<String>,
    },
    DominantSpeaker {
        endpoint: String,
        previous: Vec<String>,
        silence: bool,
    },
    /// The video sources the bridge currently sends us.
    ForwardedSources(Vec<String>),
    /// How high the bridge wants one of our video sources.
    SenderSourceConstraints {
        source_name: String,
        max_height: i32,
    },
    EndpointConnectivity {
        endpoint: String,
        active: bool,
    },
    EndpointMessage {
        from: Option<String>,
        payload: Value,
    },
    EndpointStats {
        from: Option<String>,
        stats: Map<String, Value>,
    },
    VideoSourcesMap(Vec<SourceMapping>),
    AudioSourcesMap(Vec<SourceMapping>),
    ConnectionStats {
        estimated_downlink_bps: u64,
    },
    /// A class this client does not act on; lib-jitsi-meet re-emits these untouched.
    Other {
        class: String,
        body: Map<String, Value>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VideoConstraints {
    pub max_height: i32,
}

/// What we want to receive, in the shape of jitsi-videobridge's ReceiverVideoConstraintsMessage.
/// `None` fields are left out, so the bridge keeps its defaults for them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReceiverVideoConstraints {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_n: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selected_sources: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_stage_sources: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_constraints: Option<VideoConstraints>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub constraints: Option<BTreeMap<String, VideoConstraints>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToBridge {
    ReceiverVideoConstraints(ReceiverVideoConstraints),
    /// `to` empty means every endpoint, as in lib-jitsi-meet's `sendMessage("", payload)`.
    EndpointMessage {
        to: String,
        payload: Value,
    },
    SourceVideoType {
        source_name: String,
        video_type: String,
    },
}

impl ToBridge {
    pub fn to_json(&self) -> String {
        let value = match self {
            ToBridge::ReceiverVideoConstraints(c) => {
                let mut body = match serde_json::to_value(c) {
                    Ok(Value::Object(map)) => map,
                    _ => Map::new(),
                };
                body.insert("colibriClass".into(), "ReceiverVideoConstraints".into());
                Value::Object(body)
            }
            ToBridge::EndpointMessage { to, payload } => serde_json::json!({
                "colibriClass": "EndpointMessage",
                "msgPayload": payload,
                "to": to,
            }),
            ToBridge::SourceVideoType {
                source_name,
                video_type,
            } => serde_json::json!({
                "colibriClass": "SourceVideoTypeMessage",
                "sourceName": source_name,
                "videoType": video_type,
            }),
        };
        value.to_string()
    }
}

pub fn parse(text: &str) -> Result<FromBridge, MessageError> {
    if text.len() > MAX_MESSAGE_BYTES {
        return Err(MessageError::TooLarge(text.len()));
    }
    let mut body = match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => map,
        Ok(other) => return Err(MessageError::NotAnObject(kind_of(&other).into())),
        Err(e) => return Err(MessageError::NotAnObject(e.to_string())),
    };
    let class = match body.remove("colibriClass") {
        Some(Value::String(class)) => class,
        _ => return Err(MessageError::NoClass),
    };
    let invalid = |detail: &str| MessageError::Invalid {
        class: class.clone(),
        detail: detail.to_string(),
    };
    let message = match class.as_str() {
        "ServerHello" => FromBridge::ServerHello {
            version: string(&body, "version"),
        },
        "DominantSpeakerEndpointChangeEvent" => FromBridge::DominantSpeaker {
            endpoint: string(&body, "dominantSpeakerEndpoint")
                .ok_or_else(|| invalid("no dominantSpeakerEndpoint"))?,
            previous: strings(&body, "previousSpeakers")
                .map_err(|e| invalid(&e))?
                .unwrap_or_default(),
            silence: body
                .get("silence")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        },
        "ForwardedSources" => FromBridge::ForwardedSources(
            strings(&body, "forwardedSources")
                .map_err(|e| invalid(&e))?
                .ok_or_else(|| invalid("no forwardedSources"))?,
        ),
        // Older bridges name endpoints rather than sources; ours are source names either way
        // once mapped, so keep the list as it came.
        "LastNEndpointsChangeEvent" => FromBridge::ForwardedSources(
            strings(&body, "lastNEndpoints")
                .map_err(|e| invalid(&e))?
                .ok_or_else(|| invalid("no lastNEndpoints"))?,
        ),
        "SenderSourceConstraints" => {
            // lib-jitsi-meet checks the same two types before acting.
            let source_name =
                string(&body, "sourceName").ok_or_else(|| invalid("no sourceName"))?;
            let max_height = body
                .get("maxHeight")
                .and_then(Value::as_i64)
                .and_then(|h| i32::try_from(h).ok())
                .ok_or_else(|| invalid("maxHeight is not a number"))?;
            FromBridge::SenderSourceConstraints {
                source_name,
                max_height,
            }
        }
        "EndpointConnectivityStatusChangeEvent" => FromBridge::EndpointConnectivity {
            endpoint: string(&body, "endpoint").ok_or_else(|| invalid("no endpoint"))?,
            // The bridge sends the boolean as a string ("true"/"false").
            active: match body.get("active") {
                Some(Value::String(s)) => s == "true",
                Some(Value::Bool(b)) => *b,
                _ => return Err(invalid("no active flag")),
            },
        },
        "EndpointMessage" => FromBridge::EndpointMessage {
            from: string(&body, "from"),
            payload: body.remove("msgPayload").unwrap_or(Value::Null),
        },
        "EndpointStats" => FromBridge::EndpointStats {
            from: string(&body, "from"),
            stats: body,
        },
        "VideoSourcesMap" => FromBridge::VideoSourcesMap(mappings(&body).map_err(|e| invalid(&e))?),
        "AudioSourcesMap" => FromBridge::AudioSourcesMap(mappings(&body).map_err(|e| invalid(&e))?),
        "ConnectionStats" => FromBridge::ConnectionStats {
            estimated_downlink_bps: body
                .get("estimatedDownlinkBandwidth")
                .and_then(Value::as_u64)
                .ok_or_else(|| invalid("no estimatedDownlinkBandwidth"))?,
        },
        _ => FromBridge::Other { class, body },
    };
    Ok(message)
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn string(body: &Map<String, Value>, key: &str) -> Option<String> {
    body.get(key).and_then(Value::as_str).map(str::to_string)
}

fn strings(body: &Map<String, Value>, key: &str) -> Result<Option<Vec<String>>, String> {
    let Some(value) = body.get(key) else {
        return Ok(None);
    };
    let list = value
        .as_array()
        .ok_or_else(|| format!("{key} is not a list"))?;
    if list.len() > MAX_LIST {
        return Err(format!("{key} has {} entries", list.len()));
    }
    list.iter()
        .map(|v| {
            v.as_str()
                .map(str::to_string)
                .ok_or_else(|| format!("{key} holds a non-string"))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

fn mappings(body: &Map<String, Value>) -> Result<Vec<SourceMapping>, String> {
    let list = body
        .get("mappedSources")
        .and_then(Value::as_array)
        .ok_or("no mappedSources list")?;
    if list.len() > MAX_LIST {
        return Err(format!("mappedSources has {} entries", list.len()));
    }
    list.iter()
        .map(|m| SourceMapping::deserialize(m).map_err(|e| e.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bridge_messages_as_jitsi_videobridge_writes_them() {
        assert_eq!(
            parse(r#"{"colibriClass":"ServerHello","version":"2.3.1"}"#),
            Ok(FromBridge::ServerHello {
                version: Some("2.3.1".into())
            })
        );
        assert_eq!(
            parse(
                r#"{"colibriClass":"DominantSpeakerEndpointChangeEvent","dominantSpeakerEndpoint":"a1b2c3d4","previousSpeakers":["e5f6a7b8"],"silence":false}"#
            ),
            Ok(FromBridge::DominantSpeaker {
                endpoint: "a1b2c3d4".into(),
                previous: vec!["e5f6a7b8".into()],
                silence: false
            })
        );
        assert_eq!(
            parse(r#"{"colibriClass":"ForwardedSources","forwardedSources":["a1b2c3d4-v0"]}"#),
            Ok(FromBridge::ForwardedSources(vec!["a1b2c3d4-v0".into()]))
        );
        // SenderSourceConstraintsMessage is serialised by hand with spaces after the commas.
        assert_eq!(
            parse(
                r#"{"colibriClass":"SenderSourceConstraints", "sourceName":"a1b2c3d4-v0", "maxHeight":180}"#
            ),
            Ok(FromBridge::SenderSourceConstraints {
                source_name: "a1b2c3d4-v0".into(),
                max_height: 180
            })
        );
        assert_eq!(
            parse(
                r#"{"colibriClass":"EndpointConnectivityStatusChangeEvent","endpoint":"e5f6a7b8","active":"false"}"#
            ),
            Ok(FromBridge::EndpointConnectivity {
                endpoint: "e5f6a7b8".into(),
                active: false
            })
        );
        assert_eq!(
            parse(
                r#"{"colibriClass":"EndpointMessage","from":"e5f6a7b8","to":"","msgPayload":{"type":"e2e-ping","id":7}}"#
            ),
            Ok(FromBridge::EndpointMessage {
                from: Some("e5f6a7b8".into()),
                payload: serde_json::json!({"type": "e2e-ping", "id": 7})
            })
        );
        assert_eq!(
            parse(
                r#"{"colibriClass":"VideoSourcesMap","mappedSources":[{"source":"e5f6a7b8-v0","owner":"e5f6a7b8","ssrc":1234,"rtx":5678,"videoType":"CAMERA"}]}"#
            ),
            Ok(FromBridge::VideoSourcesMap(vec![SourceMapping {
                source: "e5f6a7b8-v0".into(),
                owner: Some("e5f6a7b8".into()),
                ssrc: 1234,
                rtx: Some(5678),
                video_type: Some("CAMERA".into())
            }]))
        );
    }

    #[test]
    fn unknown_classes_pass_through_and_broken_ones_are_errors() {
        assert!(matches!(
            parse(r#"{"colibriClass":"SomethingNew","x":1}"#),
            Ok(FromBridge::Other { class, .. }) if class == "SomethingNew"
        ));
        assert_eq!(
            parse("[1,2]"),
            Err(MessageError::NotAnObject("an array".into()))
        );
        assert!(matches!(
            parse("{not json"),
            Err(MessageError::NotAnObject(_))
        ));
        assert_eq!(parse(r#"{"x":1}"#), Err(MessageError::NoClass));
        assert!(matches!(
            parse(
                r#"{"colibriClass":"SenderSourceConstraints","sourceName":"a-v0","maxHeight":"high"}"#
            ),
            Err(MessageError::Invalid { .. })
        ));
        assert!(matches!(
            parse(r#"{"colibriClass":"ForwardedSources","forwardedSources":[1,2]}"#),
            Err(MessageError::Invalid { .. })
        ));
        let huge = format!(
            r#"{{"colibriClass":"ForwardedSources","forwardedSources":[{}]}}"#,
            vec!["\"a\""; MAX_LIST + 1].join(",")
        );
        assert!(matches!(parse(&huge), Err(MessageError::Invalid { .. })));
        let oversized = " ".repeat(MAX_MESSAGE_BYTES + 1);
        assert_eq!(
            parse(&oversized),
            Err(MessageError::TooLarge(MAX_MESSAGE_BYTES + 1))
        );
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(matches!(parse(&deep), Err(MessageError::NotAnObject(_))));
    }

    #[test]
    fn messages_to_the_bridge_have_the_fields_it_reads() {
        let constraints = ToBridge::ReceiverVideoConstraints(ReceiverVideoConstraints {
            last_n: Some(1),
            default_constraints: Some(VideoConstraints { max_height: 180 }),
            constraints: Some(BTreeMap::from([(
                "e5f6a7b8-v0".to_string(),
                VideoConstraints { max_height: 720 },
            )])),
            ..Default::default()
        });
        let json: Value = serde_json::from_str(&constraints.to_json()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "colibriClass": "ReceiverVideoConstraints",
                "lastN": 1,
                "defaultConstraints": {"maxHeight": 180},
                "constraints": {"e5f6a7b8-v0": {"maxHeight": 720}}
            })
        );
        let message = ToBridge::EndpointMessage {
            to: String::new(),
            payload: serde_json::json!({"hello": "all"}),
        };
        let json: Value = serde_json::from_str(&message.to_json()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"colibriClass": "EndpointMessage", "to": "", "msgPayload": {"hello": "all"}})
        );
    }
}
