//! Participants of a bridge conference without XMPP: media sessions from omni-jitsi-media, the
//! offer Jicofo would send (the testbed's own builder, through the SDK's Jingle translator), the
//! answer handed to the bridge as Jicofo would from `session-accept`.

#![allow(dead_code)] // each test binary uses a different subset

use std::time::Duration;

use omni_jitsi_core::jingle::{jingle_to_sdp, OfferOptions, Peer};
use omni_jitsi_media::session::{ConnectionState, MediaSession, SessionConfig, SessionEvent};
use omni_jitsi_testbed::bridge::{
    offer, Bridge, IceCredentials, Kind, OwnedSource, RemoteParameters, Signalled, SourceDesc,
};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};
use tokio::time::timeout;

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
    let _ = env_logger::builder().is_test(true).try_init();
    let mut sessions = Vec::new();
    for id in ids {
        let mut config = SessionConfig::new(id);
        config.udp_addrs = vec!["127.0.0.1:0".into()];
        let (tx, events) = unbounded_channel();
        let session = MediaSession::new(config, tx).await.expect("media session");
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
        let connected = timeout(WAIT, async {
            while let Some(event) = p.events.recv().await {
                if let SessionEvent::ConnectionState(ConnectionState::Connected) = event {
                    return true;
                }
            }
            false
        })
        .await;
        assert_eq!(
            connected,
            Ok(true),
            "{} did not connect to the bridge",
            p.id
        );
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
