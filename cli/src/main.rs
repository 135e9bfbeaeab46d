//! `omni-jitsi`: joins a Jitsi Meet room headless, prints every event as one JSON object per
//! line on stdout, and takes commands as lines on stdin. Logs go to stderr (RUST_LOG).

mod args;
mod commands;
mod media;

use std::io::Write;
use std::process::ExitCode;

use omni_jitsi_core::{ConferenceEvent, Error, Meeting};

use media::TrackChange;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::mpsc;

use commands::LineCommand;

#[tokio::main]
async fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn"))
        .target(env_logger::Target::Stderr)
        .init();
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let (options, media_flags) = match args::parse(&argv) {
        Ok(parsed) => parsed,
        Err(e) => {
            eprintln!("omni-jitsi: {e}\n{}", args::USAGE);
            return ExitCode::from(2);
        }
    };
    let (events_tx, events) = mpsc::unbounded_channel();
    let (tracks_tx, tracks) = mpsc::unbounded_channel();
    let printer = tokio::spawn(print_events(events, tracks_tx));
    let outcome = match omni_jitsi_core::join(options, events_tx).await {
        Ok(meeting) => {
            media::start(&meeting, media_flags, tracks);
            run_commands(&meeting).await;
            drop(meeting);
            Ok(())
        }
        Err(e) => Err(e),
    };
    // The printer ends when the conference task drops the event sender, after the last event.
    let _ = printer.await;
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("omni-jitsi: {e}");
            ExitCode::from(1)
        }
    }
}

async fn print_events(
    mut events: mpsc::UnboundedReceiver<ConferenceEvent>,
    tracks: mpsc::UnboundedSender<TrackChange>,
) {
    let stdout = std::io::stdout();
    while let Some(event) = events.recv().await {
        match &event {
            ConferenceEvent::RemoteTrackAdded {
                endpoint_id,
                source_name,
                kind,
            } => {
                let _ = tracks.send((true, source_name.clone(), endpoint_id.clone(), *kind));
            }
            ConferenceEvent::RemoteTrackRemoved {
                endpoint_id,
                source_name,
                kind,
            } => {
                let _ = tracks.send((false, source_name.clone(), endpoint_id.clone(), *kind));
            }
            _ => {}
        }
        let line = serde_json::to_string(&event).expect("events serialize");
        let mut out = stdout.lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }
}

/// Reads commands until `leave`, end of input, or the meeting ends by itself.
async fn run_commands(meeting: &Meeting) {
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    loop {
        let next = tokio::select! {
            next = lines.next_line() => next,
            () = meeting.ended() => return,
        };
        let line = match next {
            Ok(Some(line)) => line,
            Ok(None) | Err(_) => {
                let _ = meeting.hang_up().await;
                return;
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        let command = match commands::parse(&line) {
            Ok(c) => c,
            Err(e) => {
                report(Err(Error::InvalidArgument(e)));
                continue;
            }
        };
        let result = match command {
            LineCommand::Chat(text) => meeting.send_chat(&text, None).await,
            LineCommand::ChatTo(to, text) => meeting.send_chat(&text, Some(&to)).await,
            LineCommand::Mute { audio: true, on } => meeting.set_audio_muted(on).await,
            LineCommand::Mute { audio: false, on } => meeting.set_video_muted(on).await,
            LineCommand::Hand(up) => meeting.set_hand_raised(up).await,
            LineCommand::NetworkChanged => meeting.network_changed().await,
            LineCommand::Subject(s) => meeting.set_subject(&s).await,
            LineCommand::Password(p) => meeting.set_room_password(p.as_deref()).await,
            LineCommand::Lobby(on) => meeting.set_lobby_enabled(on).await,
            LineCommand::Kick(who) => meeting.kick(&who).await,
            LineCommand::Grant(who) => meeting.grant_moderator(&who).await,
            LineCommand::Record(request) => meeting.start_recording(request).await,
            LineCommand::StopRecording => meeting.stop_recording().await,
            LineCommand::Screen(true) => meeting.start_screen_share().await,
            LineCommand::Screen(false) => meeting.stop_screen_share().await,
            LineCommand::LastN(n) => {
                meeting
                    .set_receiver_constraints(omni_jitsi_core::ReceiverConstraints {
                        last_n: Some(n),
                        ..Default::default()
                    })
                    .await
            }
            LineCommand::EndpointMessage(to, json) => {
                meeting.send_endpoint_message(to, &json).await
            }
            LineCommand::Participants => {
                let list = serde_json::json!({
                    "event": "participants",
                    "participants": meeting.participants(),
                });
                println!("{list}");
                Ok(())
            }
            LineCommand::Leave => {
                let _ = meeting.hang_up().await;
                return;
            }
        };
        if matches!(result, Err(Error::MeetingEnded)) {
            return;
        }
        report(result);
    }
}

/// Command failures are reported on stdout too, so a script sees them in order with the events.
fn report(result: Result<(), Error>) {
    if let Err(e) = result {
        let line = serde_json::json!({
            "event": "command_failed",
            "error": e.kind(),
            "message": e.to_string(),
        });
        println!("{line}");
    }
}
