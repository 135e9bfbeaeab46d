//! Command-line arguments of `omni-jitsi join`.

use omni_jitsi_core::{EndpointId, MeetingOptions};

use crate::media::MediaFlags;

pub const USAGE: &str = "usage: omni-jitsi join --server URL --room NAME [--name N] [--email E] \
[--avatar URL] [--subject S] [--token T] [--password P] [--audio-muted] [--video-muted] \
[--audio-only] [--endpoint-id ID] [--set KEY=VALUE]... [--trust-cert PEM_FILE]... [--allow-insecure] \
[--send-tone HZ] [--send-pattern] [--pattern-size WxH]";

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
            "--trust-cert" => {
                let path = value()?;
                let pem = std::fs::read_to_string(&path)
                    .map_err(|e| format!("--trust-cert {path}: {e}"))?;
                options.trusted_certificates.push(pem);
            }
            "--allow-insecure" => options.allow_insecure_transport = true,
            "--send-pattern" => media.send_pattern = true,
            "--pattern-size" => media.pattern_size = parse_size(&value()?)?,
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

/// `WxH` with even sides (I420 halves both) from 64x32 to 1920x1080.
fn parse_size(text: &str) -> Result<(u32, u32), String> {
    let refused = || format!("--pattern-size takes WxH, even, 64x32 to 1920x1080; got {text:?}");
    let (w, h) = text.split_once('x').ok_or_else(refused)?;
    let (w, h): (u32, u32) = (
        w.parse().map_err(|_| refused())?,
        h.parse().map_err(|_| refused())?,
    );
    let fits = (64..=1920).contains(&w) && (32..=1080).contains(&h);
    if fits && w % 2 == 0 && h % 2 == 0 {
        Ok((w, h))
    } else {
        Err(refused())
    }
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
             --send-tone 440 --send-pattern --pattern-size 640x360 --allow-insecure",
        ))
        .unwrap();
        let (o, media) = o;
        assert_eq!(media.send_tone, Some(440.0));
        assert!(media.send_pattern);
        assert_eq!(media.pattern_size, (640, 360));
        assert_eq!(o.server_url, "https://meet.example");
        assert_eq!(o.room, "r");
        assert_eq!(o.display_name.as_deref(), Some("Ann"));
        assert_eq!(o.token.as_deref(), Some("T"));
        assert!(o.audio_muted && o.video_muted && !o.audio_only);
        assert_eq!(o.config_overrides["hosts.domain"], "meet.test");
        assert!(o.allow_insecure_transport);
        assert!(o.trusted_certificates.is_empty());
        assert!(parse(&args(
            "join --server s --room r --trust-cert /nonexistent.pem"
        ))
        .unwrap_err()
        .starts_with("--trust-cert /nonexistent.pem: "));
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
        for size in ["640", "640x", "641x360", "4000x360", "0x0"] {
            let line = format!("join --server x --room r --pattern-size {size}");
            assert!(parse(&args(&line)).is_err(), "{size} accepted");
        }
    }
}
