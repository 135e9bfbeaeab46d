//! Command-line arguments of `omni-jitsi join`.

use omni_jitsi_core::{EndpointId, MeetingOptions};

use crate::media::MediaFlags;

pub const USAGE: &str = "usage: omni-jitsi join --server URL --room NAME [--name N] [--email E] \
[--avatar URL] [--subject S] [--token T] [--password P] [--audio-muted] [--video-muted] \
[--audio-only] [--endpoint-id ID] [--set KEY=VALUE]... [--send-tone HZ] [--send-pattern]";

pub fn parse(args: &[String]) -> Result<(MeetingOptions, MediaFlags), String> {
    let mut it = args.iter();
    match it.next().map(String::as_str) {
        Some("join") => {}
        Some(other) => return Err(format!("unknown command {other:?}")),
        None => return Err("missing command".into()),
    }
    let mut options = MeetingOptions::default();
    let mut room = None;
    let mut server = None;
    let mut media = MediaFlags::default();
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--server" => server = Some(value()?),
            "--room" => room = Some(value()?),
            "--name" => options.display_name = Some(value()?),
            "--email" => options.email = Some(value()?),
            "--avatar" => options.avatar_url = Some(value()?),
            "--subject" => options.subject = Some(value()?),
            "--token" => options.token = Some(value()?),
            "--password" => options.password = Some(value()?),
            "--endpoint-id" => options.endpoint_id = Some(EndpointId::new(value()?)),
            "--set" => {
                let kv = value()?;
                let (k, v) = kv
                    .split_once('=')
                    .ok_or_else(|| format!("--set takes KEY=VALUE, got {kv:?}"))?;
                options
                    .config_overrides
                    .insert(k.to_string(), v.to_string());
            }
            "--send-tone" => {
                let v = value()?;
                let hz: f64 = v
                    .parse()
                    .ok()
                    .filter(|hz| (50.0..=4000.0).contains(hz))
                    .ok_or_else(|| format!("--send-tone takes 50..4000 Hz, got {v:?}"))?;
                media.send_tone = Some(hz);
            }
            "--send-pattern" => media.send_pattern = true,
            "--audio-muted" => options.audio_muted = true,
            "--video-muted" => options.video_muted = true,
            "--audio-only" => options.audio_only = true,
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    options.room = room.ok_or("--room is required")?;
    options.server_url = server.ok_or("--server is required")?;
    Ok((options, media))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn parses_a_full_join_line() {
        let o = parse(&args(
            "join --server https://meet.example --room r --name Ann --email a@b.c --avatar https://a/p.png \
             --token T --password P --audio-muted --video-muted --set hosts.domain=meet.test \
             --send-tone 440 --send-pattern",
        ))
        .unwrap();
        let (o, media) = o;
        assert_eq!(media.send_tone, Some(440.0));
        assert!(media.send_pattern);
        assert_eq!(o.server_url, "https://meet.example");
        assert_eq!(o.room, "r");
        assert_eq!(o.display_name.as_deref(), Some("Ann"));
        assert_eq!(o.token.as_deref(), Some("T"));
        assert!(o.audio_muted && o.video_muted && !o.audio_only);
        assert_eq!(o.config_overrides["hosts.domain"], "meet.test");
    }

    #[test]
    fn reports_what_is_wrong() {
        assert_eq!(
            parse(&args("join --room r")).unwrap_err(),
            "--server is required"
        );
        assert_eq!(
            parse(&args("join --server x --name")).unwrap_err(),
            "--name needs a value"
        );
        assert!(parse(&args("leave")).is_err());
        assert!(parse(&args("join --server x --room r --bogus")).is_err());
        assert!(parse(&args("join --server x --room r --send-tone loud")).is_err());
    }
}
