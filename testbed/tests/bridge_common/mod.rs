//! Participants of a bridge conference without XMPP: media sessions from omni-jitsi-media, the
//! offer Jicofo would send (the testbed's own builder, through the SDK's Jingle translator), the
//! answer handed to the bridge as Jicofo would from `session-accept`; and answering a focus's
//! offer as the SDK does, for the tests that carry the Jingle themselves.

#![allow(dead_code)] // each test binary uses a different subset

use std::time::Duration;

use omni_jitsi_core::jingle::{
    jingle_to_sdp, remote_sources, sdp_to_jingle, Action, AnswerOptions, Creator, Jingle,
    LocalSource, OfferOptions, Peer, Sdp,
};
use omni_jitsi_core::EndpointId;
use omni_jitsi_media::audio::{Channels, FrameDuration};
use omni_jitsi_media::session::{ConnectionState, MediaSession, SessionConfig, SessionEvent};
use omni_jitsi_media::signal::{dominant_frequency, ToneGenerator};
use omni_jitsi_testbed::bridge::{
    offer, Bridge, IceCredentials, Kind, OwnedSource, RemoteParameters, Signalled, SourceDesc,
};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};
use tokio::time::{interval, timeout, MissedTickBehavior};

pub const WAIT: Duration = Duration::from_secs(20);
pub const CONFERENCE: &str = "c0ffee";

pub struct Participant {
    pub id: String,
    pub session: MediaSession,
    pub events: UnboundedReceiver<SessionEvent>,
    pub web_socket: String,
}

impl Participant {
    pub fn sources(&self) -> Vec<SourceDesc> {
        let (audio, video) = self.session.local_ssrcs();
        vec![
            SourceDesc {
                name: format!("{}-a0", self.id),
                kind: Kind::Audio,
                ssrcs: vec![audio],
                video_type: None,
                signalled: Signalled::default(),
            },
            SourceDesc {
                name: format!("{}-v0", self.id),
                kind: Kind::Video,
                ssrcs: vec![video],
                video_type: Some("camera".into()),
                signalled: Signalled::default(),
            },
        ]
    }
}

/// `ids` join `bridge` at once (each offer carries the others' sources), and every session
/// reports Connected.
pub async fn join(bridge: &Bridge, ids: &[&str]) -> Vec<Participant> {
    let mut sessions = Vec::new();
    for id in ids {
        let (session, events) = session(id).await;
        sessions.push((id.to_string(), session, events));
    }
    let owned: Vec<OwnedSource> = sessions
        .iter()
        .flat_map(|(id, session, _)| {
            let (a, v) = session.local_ssrcs();
            [
                (format!("{id}-a0"), Kind::Audio, a, None),
                (
                    format!("{id}-v0"),
                    Kind::Video,
                    v,
                    Some("camera".to_string()),
                ),
            ]
            .into_iter()
            .map(|(name, kind, ssrc, video_type)| OwnedSource {
                owner: id.clone(),
                source: SourceDesc {
                    name,
                    kind,
                    ssrcs: vec![ssrc],
                    video_type,
                    signalled: Signalled::default(),
                },
            })
        })
        .collect();
    let mut participants = Vec::new();
    for (id, session, events) in sessions {
        let transport = bridge.allocate(CONFERENCE, &id).expect("allocate");
        let others: Vec<OwnedSource> = owned.iter().filter(|o| o.owner != id).cloned().collect();
        let jingle = offer::session_initiate(
            "sid1",
            "focus@auth.meet.test/focus",
            &transport,
            bridge.feedback_ssrcs(),
            &others,
        );
        let sdp = jingle_to_sdp(
            &jingle,
            &OfferOptions {
                peer: Peer::Bridge,
                session_id: 1,
            },
        )
        .expect("offer SDP");
        for o in &others {
            for ssrc in &o.source.ssrcs {
                session.set_remote_source_name(*ssrc, &o.source.name);
            }
        }
        let answer = session
            .accept_offer(&sdp.to_string())
            .await
            .expect("answer");
        // The offer carries the candidate too, but webrtc 0.21 only pairs SDP candidates with
        // local ones gathered by then; the SDK trickles it again, as lib-jitsi-meet's
        // addIceCandidate does for candidates that arrive in transport-info.
        session
            .add_remote_candidate(&format!(
                "candidate:1 1 udp {} {} {} typ host",
                omni_jitsi_testbed::bridge::transport::HOST_PRIORITY,
                transport.candidate.ip(),
                transport.candidate.port()
            ))
            .await
            .expect("bridge candidate");
        let participant = Participant {
            id: id.clone(),
            session,
            events,
            web_socket: transport.web_socket.clone(),
        };
        let kept = bridge
            .accept(
                CONFERENCE,
                &id,
                remote_parameters(&answer),
                participant.sources(),
            )
            .expect("bridge accepts the answer");
        assert_eq!(kept.len(), 2);
        participants.push(participant);
    }
    for p in &mut participants {
        until_connected(&mut p.events, &p.id).await;
        // DTLS completes at the server (the bridge) before the client sees its Finished.
        assert!(
            bridge.is_connected(CONFERENCE, &p.id),
            "{} not connected at the bridge",
            p.id
        );
    }
    participants
}

/// What Jicofo takes from `session-accept` for the bridge: ICE credentials and fingerprint.
pub fn remote_parameters(answer: &str) -> RemoteParameters {
    let find = |prefix: &str| {
        answer
            .lines()
            .find_map(|l| l.trim().strip_prefix(prefix).map(str::to_string))
            .unwrap_or_else(|| panic!("answer without {prefix}"))
    };
    RemoteParameters {
        ice: IceCredentials {
            ufrag: find("a=ice-ufrag:"),
            pwd: find("a=ice-pwd:"),
        },
        fingerprint: find("a=fingerprint:sha-256 "),
    }
}

/// A media session for `id` on loopback, and its events.
pub async fn session(id: &str) -> (MediaSession, UnboundedReceiver<SessionEvent>) {
    let _ = env_logger::builder().is_test(true).try_init();
    let mut config = SessionConfig::new(id);
    config.udp_addrs = vec!["127.0.0.1:0".into()];
    let (tx, events) = unbounded_channel();
    let session = MediaSession::new(config, tx).await.expect("media session");
    (session, events)
}

/// Answers the focus's bridge `offer` as `nick`, as the SDK will: remote sources named from the
/// offer, the SDP through the translator, the bridge's candidate trickled, and the
/// `session-accept` (from `responder` when given) naming our microphone and camera.
pub async fn answer_offer(
    nick: &str,
    offer: &Jingle,
    responder: Option<String>,
) -> (MediaSession, UnboundedReceiver<SessionEvent>, Jingle) {
    let (session, events) = session(nick).await;
    for s in remote_sources(&offer.contents, None).unwrap() {
        if let (Some(name), Some(ssrc)) = (&s.name, s.primary_ssrc()) {
            session.set_remote_source_name(ssrc, name);
        }
    }
    let sdp = jingle_to_sdp(
        offer,
        &OfferOptions {
            peer: Peer::Bridge,
            session_id: 1,
        },
    )
    .unwrap();
    let answer = session.accept_offer(&sdp.to_string()).await.unwrap();
    let candidate = offer.contents[0].transport.as_ref().unwrap().candidates[0].clone();
    session
        .add_remote_candidate(&format!(
            "candidate:1 1 udp {} {} {} typ host",
            candidate.priority, candidate.ip, candidate.port
        ))
        .await
        .unwrap();
    let me = EndpointId::new(nick);
    let (a, v) = session.local_ssrcs();
    let local = [
        LocalSource::microphone(&me, a, format!("{nick}-stream {nick}-a0")),
        LocalSource::camera(&me, v, None, format!("{nick}-stream {nick}-v0")),
    ];
    let accept = sdp_to_jingle(
        &Sdp::parse(&answer).unwrap(),
        &AnswerOptions {
            peer: Peer::Bridge,
            creator: Creator::Responder,
            local_sources: &local,
        },
    )
    .unwrap()
    .into_jingle(Action::SessionAccept, &offer.sid, None, responder);
    (session, events, accept)
}

/// Waits until the session reports Connected.
pub async fn until_connected(events: &mut UnboundedReceiver<SessionEvent>, who: &str) {
    let connected = timeout(WAIT, async {
        while let Some(event) = events.recv().await {
            if let SessionEvent::ConnectionState(ConnectionState::Connected) = event {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(connected, Ok(true), "{who} did not connect to the bridge");
}

/// `from` sends a tone at `hz` for two seconds while `to` pulls the source named `source` like an
/// audio device; the frequency `to` heard in the last half second.
pub async fn tone_heard(
    from: &MediaSession,
    to: &mut UnboundedReceiver<SessionEvent>,
    source: &str,
    hz: f64,
) -> f64 {
    let mut tone = ToneGenerator::new(hz, 8000, Channels::Mono);
    let mut clock = interval(Duration::from_millis(20));
    clock.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let (mut remote, mut heard) = (None, Vec::new());
    for _ in 0..100 {
        clock.tick().await;
        from.send_audio(&tone.next_frame(FrameDuration::Ms20))
            .await
            .unwrap();
        while let Ok(event) = to.try_recv() {
            if let SessionEvent::RemoteAudio { source: s, audio } = event {
                assert_eq!(s.name.as_deref(), Some(source));
                remote = Some(audio);
            }
        }
        if let Some(audio) = &remote {
            heard.extend(audio.pull(960).unwrap().samples);
        }
    }
    dominant_frequency(&heard[heard.len().saturating_sub(24_000)..], 48_000)
}
