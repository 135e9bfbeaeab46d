//! The CLI's JSON event lines (README, "Event schema") as one readable line each.

use serde_json::Value;

pub fn name(v: &Value) -> &str {
    v["event"].as_str().unwrap_or("")
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or("?")
}

/// "Bob (5e6f7a8b)", or just the id when the participant sent no name.
fn who(name: &Value, id: &Value) -> String {
    let id = id.as_str().unwrap_or("?");
    match name.as_str() {
        Some(n) => format!("{n} ({id})"),
        None => id.to_string(),
    }
}

fn participant(p: &Value) -> String {
    who(&p["display_name"], &p["endpoint_id"])
}

fn state(p: &Value) -> String {
    let mut parts = vec![
        if p["audio_muted"] == true {
            "audio muted"
        } else {
            "audio on"
        },
        if p["video_muted"] == true {
            "video muted"
        } else {
            "video on"
        },
    ];
    if !p["hand_raised_at"].is_null() {
        parts.push("hand raised");
    }
    let role = text(p, "role");
    format!("{}, {role}", parts.join(", "))
}

fn on_off(v: &Value, key: &str, on: &str, off: &str) -> String {
    if v[key] == true { on } else { off }.to_string()
}

pub fn render(v: &Value) -> String {
    match name(v) {
        "conference_will_join" => format!("joining {}", text(v, "room")),
        "connection_state_changed" => format!("connection {}", text(v, "state")),
        "conference_joined" => format!(
            "joined {} as {} ({})",
            text(v, "room"),
            text(v, "endpoint_id"),
            text(v, "role")
        ),
        "conference_terminated" => {
            let mut line = format!("left the conference: {}", text(v, "reason"));
            if let Some(e) = v["error"].as_str() {
                line.push_str(&format!(" [{e}]"));
            }
            if let Some(m) = v["message"].as_str() {
                line.push_str(&format!(": {m}"));
            }
            line
        }
        "participant_joined" => {
            let p = &v["participant"];
            format!("+ {} joined ({})", participant(p), state(p))
        }
        "participant_updated" => {
            let p = &v["participant"];
            format!("~ {} now {}", participant(p), state(p))
        }
        "participant_left" => format!("- {} left", who(&v["display_name"], &v["endpoint_id"])),
        "role_changed" => format!("my role is now {}", text(v, "role")),
        "audio_muted_changed" => format!("my audio is {}", on_off(v, "muted", "muted", "on")),
        "video_muted_changed" => format!("my video is {}", on_off(v, "muted", "muted", "on")),
        "hand_raised_changed" => format!("my hand is {}", on_off(v, "raised", "up", "down")),
        "chat_message_received" => {
            let m = &v["message"];
            let kind = on_off(m, "private", "private message", "chat");
            let history = on_off(m, "delayed", " (history)", "");
            format!(
                "{kind} from {}{history}: {}",
                who(&m["from_name"], &m["from"]),
                text(m, "text")
            )
        }
        "subject_changed" => match text(v, "subject") {
            "" => "no subject".to_string(),
            subject => format!("subject: {subject}"),
        },
        "recording_status_changed" => {
            let r = &v["recording"];
            let mut line = format!(
                "recording {} ({})",
                r["status"].as_str().unwrap_or("?"),
                r["mode"].as_str().unwrap_or("unknown mode")
            );
            if let Some(error) = r["error"].as_str() {
                line.push_str(&format!(": {error}"));
            }
            line
        }
        "lobby_entered" => format!(
            "the room has a lobby ({})",
            v["lobby_room"].as_str().unwrap_or("unnamed")
        ),
        "error" => format!("error [{}]: {}", text(v, "error"), text(v, "message")),
        "command_failed" => format!(
            "command failed [{}]: {}",
            text(v, "error"),
            text(v, "message")
        ),
        "participants" => {
            let list: Vec<String> = v["participants"]
                .as_array()
                .map(|ps| ps.iter().map(participant).collect())
                .unwrap_or_default();
            format!("participants: {}", list.join(", "))
        }
        _ => v.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_the_events_the_demo_checks() {
        let chat = json!({"event":"chat_message_received","message":{"from":"ab12cd34",
            "from_name":"Bob","text":"psst","private":true,"timestamp_ms":1,"delayed":false}});
        assert_eq!(render(&chat), "private message from Bob (ab12cd34): psst");
        let update = json!({"event":"participant_updated","participant":{"endpoint_id":"c",
            "display_name":"Carol","audio_muted":true,"video_muted":true,
            "hand_raised_at":17,"role":"participant"}});
        assert_eq!(
            render(&update),
            "~ Carol (c) now audio muted, video muted, hand raised, participant"
        );
        let left = json!({"event":"participant_left","endpoint_id":"c","display_name":null});
        assert_eq!(render(&left), "- c left");
        let unknown = json!({"event":"new_thing","x":1});
        assert_eq!(render(&unknown), unknown.to_string());
    }
}
