//! The line commands `omni-jitsi` reads on stdin.

use omni_jitsi_core::{EndpointId, RecordingRequest};

#[derive(Debug, PartialEq, Eq)]
pub enum LineCommand {
    Chat(String),
    ChatTo(EndpointId, String),
    Mute { audio: bool, on: bool },
    Hand(bool),
    Subject(String),
    Password(Option<String>),
    Lobby(bool),
    Kick(EndpointId),
    Grant(EndpointId),
    Record(RecordingRequest),
    StopRecording,
    Screen(bool),
    LastN(i32),
    EndpointMessage(Option<EndpointId>, String),
    Participants,
    NetworkChanged,
    Leave,
}

pub const HELP: &str = "commands: chat TEXT | chat-to ENDPOINT TEXT | mute audio|video on|off | \
hand up|down | subject TEXT | password [P] | lobby on|off | kick ENDPOINT | grant ENDPOINT | \
record file | record stream KEY | record stop | screen on|off | last-n N | message JSON | \
message-to ENDPOINT JSON | participants | network-changed | leave";

pub fn parse(line: &str) -> Result<LineCommand, String> {
    let line = line.trim();
    let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
    let rest = rest.trim();
    let on_off = |s: &str| match s {
        "on" | "up" => Ok(true),
        "off" | "down" => Ok(false),
        other => Err(format!("expected on/off or up/down, got {other:?}")),
    };
    match word {
        "chat" if !rest.is_empty() => Ok(LineCommand::Chat(rest.to_string())),
        "chat-to" => {
            let (to, text) = rest.split_once(' ').ok_or("usage: chat-to ENDPOINT TEXT")?;
            Ok(LineCommand::ChatTo(
                EndpointId::new(to),
                text.trim().to_string(),
            ))
        }
        "mute" => {
            let (kind, state) = rest
                .split_once(' ')
                .ok_or("usage: mute audio|video on|off")?;
            let audio = match kind {
                "audio" => true,
                "video" => false,
                other => return Err(format!("mute what? {other:?}")),
            };
            Ok(LineCommand::Mute {
                audio,
                on: on_off(state.trim())?,
            })
        }
        "hand" => Ok(LineCommand::Hand(on_off(rest)?)),
        "network-changed" if rest.is_empty() => Ok(LineCommand::NetworkChanged),
        "subject" if !rest.is_empty() => Ok(LineCommand::Subject(rest.to_string())),
        "password" => Ok(LineCommand::Password(
            (!rest.is_empty()).then(|| rest.to_string()),
        )),
        "lobby" => Ok(LineCommand::Lobby(on_off(rest)?)),
        "kick" if !rest.is_empty() => Ok(LineCommand::Kick(EndpointId::new(rest))),
        "grant" if !rest.is_empty() => Ok(LineCommand::Grant(EndpointId::new(rest))),
        "record" => match rest.split_once(' ').unwrap_or((rest, "")) {
            ("file", "") => Ok(LineCommand::Record(RecordingRequest::File)),
            ("stream", key) if !key.trim().is_empty() => {
                Ok(LineCommand::Record(RecordingRequest::Stream {
                    stream_key: key.trim().to_string(),
                    broadcast_id: None,
                }))
            }
            ("stop", "") => Ok(LineCommand::StopRecording),
            _ => Err("usage: record file | record stream KEY | record stop".into()),
        },
        "screen" => Ok(LineCommand::Screen(on_off(rest)?)),
        "last-n" => rest
            .parse()
            .map(LineCommand::LastN)
            .map_err(|_| format!("usage: last-n N (-1 for all), got {rest:?}")),
        "message" if !rest.is_empty() => Ok(LineCommand::EndpointMessage(None, rest.to_string())),
        "message-to" => {
            let (to, json) = rest
                .split_once(' ')
                .ok_or("usage: message-to ENDPOINT JSON")?;
            Ok(LineCommand::EndpointMessage(
                Some(EndpointId::new(to)),
                json.trim().to_string(),
            ))
        }
        "participants" => Ok(LineCommand::Participants),
        "leave" | "quit" | "exit" => Ok(LineCommand::Leave),
        _ => Err(format!("unknown command {line:?}; {HELP}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_command() {
        assert_eq!(
            parse("chat hello there"),
            Ok(LineCommand::Chat("hello there".into()))
        );
        assert_eq!(
            parse("chat-to abcd1234 psst"),
            Ok(LineCommand::ChatTo(
                EndpointId::new("abcd1234"),
                "psst".into()
            ))
        );
        assert_eq!(
            parse("mute video off"),
            Ok(LineCommand::Mute {
                audio: false,
                on: false
            })
        );
        assert_eq!(parse("hand up"), Ok(LineCommand::Hand(true)));
        assert_eq!(parse("network-changed"), Ok(LineCommand::NetworkChanged));
        assert_eq!(parse("screen on"), Ok(LineCommand::Screen(true)));
        assert_eq!(parse("last-n -1"), Ok(LineCommand::LastN(-1)));
        assert!(parse("last-n many").is_err());
        assert_eq!(
            parse("message-to abcd1234 {\"a\":1}"),
            Ok(LineCommand::EndpointMessage(
                Some(EndpointId::new("abcd1234")),
                "{\"a\":1}".into()
            ))
        );
        assert_eq!(parse("password"), Ok(LineCommand::Password(None)));
        assert_eq!(parse("lobby on"), Ok(LineCommand::Lobby(true)));
        assert_eq!(
            parse("record file"),
            Ok(LineCommand::Record(RecordingRequest::File))
        );
        assert_eq!(
            parse("record stream ab-cd"),
            Ok(LineCommand::Record(RecordingRequest::Stream {
                stream_key: "ab-cd".into(),
                broadcast_id: None
            }))
        );
        assert_eq!(parse("record stop"), Ok(LineCommand::StopRecording));
        assert_eq!(parse(" leave "), Ok(LineCommand::Leave));
    }

    #[test]
    fn rejects_nonsense_with_a_hint() {
        assert!(parse("chat").is_err());
        assert!(parse("mute audio maybe").unwrap_err().contains("on/off"));
        assert!(parse("dance").unwrap_err().contains("commands:"));
        assert!(parse("record stream").is_err());
    }
}
