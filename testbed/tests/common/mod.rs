//! What every signalling test needs: a testbed, SDK clients joined to it, and waiting for the
//! events a user would look for (never sleeping).

#![allow(dead_code)] // each test binary uses a different subset

use std::time::Duration;

use omni_jitsi_core::{
    ConferenceEvent, EndpointId, Error, Meeting, MeetingOptions, Participant, TerminationReason,
};
use omni_jitsi_testbed::{Testbed, TestbedOptions};
use tokio::sync::mpsc;

/// Generous: CI machines are slow, and a wait only takes this long when a test fails.
pub const WAIT: Duration = Duration::from_secs(20);

pub async fn testbed() -> Testbed {
    let _ = env_logger::builder().is_test(true).try_init();
    Testbed::start(TestbedOptions::default())
        .await
        .expect("the testbed starts (is prosody installed? `cargo xtask test` installs it)")
}

pub fn options(tb: &Testbed, room: &str, name: &str) -> MeetingOptions {
    let mut o = MeetingOptions::new(tb.server_url().to_string(), room);
    o.display_name = Some(name.to_string());
    o.email = Some(format!("{}@example.org", name.to_lowercase()));
    o.avatar_url = Some(format!("https://example.org/{}.png", name.to_lowercase()));
    o
}

pub struct Client {
    pub name: String,
    pub meeting: Meeting,
    pub events: mpsc::UnboundedReceiver<ConferenceEvent>,
}

impl Client {
    pub fn id(&self) -> EndpointId {
        self.meeting.endpoint_id().clone()
    }

    /// Waits for the first event matching `pred`, returning it; panics with what arrived instead.
    pub async fn expect<T>(
        &mut self,
        what: &str,
        mut pred: impl FnMut(&ConferenceEvent) -> Option<T>,
    ) -> T {
        let mut seen = Vec::new();
        let found = tokio::time::timeout(WAIT, async {
            while let Some(event) = self.events.recv().await {
                if let Some(t) = pred(&event) {
                    return Some(t);
                }
                seen.push(event.name());
            }
            None
        })
        .await;
        match found {
            Ok(Some(t)) => t,
            _ => panic!("{} never got {what}; saw {seen:?}", self.name),
        }
    }

    pub async fn expect_joined_participant(&mut self, name: &str) -> Participant {
        self.expect(&format!("participant_joined {name}"), |e| match e {
            ConferenceEvent::ParticipantJoined { participant }
                if participant.display_name.as_deref() == Some(name) =>
            {
                Some(participant.clone())
            }
            _ => None,
        })
        .await
    }

    /// Waits until every one of `names` but this client has joined, in any order: a MUC sends
    /// the occupants already present in no particular order.
    pub async fn expect_joined_participants(&mut self, names: &[&str]) {
        let mut missing: Vec<String> = names
            .iter()
            .filter(|n| **n != self.name)
            .map(|n| n.to_string())
            .collect();
        let what = format!("participant_joined for each of {missing:?}");
        self.expect(&what, |e| {
            if let ConferenceEvent::ParticipantJoined { participant } = e {
                missing.retain(|n| participant.display_name.as_deref() != Some(n));
            }
            missing.is_empty().then_some(())
        })
        .await;
    }

    /// Every chat message until (and excluding) the one whose text is `marker`.
    pub async fn chats_until(&mut self, marker: &str) -> Vec<omni_jitsi_core::ChatMessage> {
        let mut got = Vec::new();
        self.expect(&format!("chat {marker:?}"), |e| match e {
            ConferenceEvent::ChatMessageReceived { message } if message.text == marker => Some(()),
            ConferenceEvent::ChatMessageReceived { message } => {
                got.push(message.clone());
                None
            }
            _ => None,
        })
        .await;
        got
    }

    pub async fn hang_up(mut self) {
        self.meeting.hang_up().await.expect("hang up");
        self.expect("conference_terminated hung_up", |e| match e {
            ConferenceEvent::ConferenceTerminated {
                reason: TerminationReason::HungUp,
                ..
            } => Some(()),
            _ => None,
        })
        .await;
    }
}

pub async fn try_join(
    options: MeetingOptions,
) -> (
    Result<Meeting, Error>,
    mpsc::UnboundedReceiver<ConferenceEvent>,
) {
    let (tx, rx) = mpsc::unbounded_channel();
    (omni_jitsi_core::join(options, tx).await, rx)
}

pub async fn join(options: MeetingOptions) -> Client {
    let name = options.display_name.clone().unwrap_or_default();
    let (result, events) = try_join(options).await;
    let meeting = result.unwrap_or_else(|e| panic!("{name} could not join: {e}"));
    Client {
        name,
        meeting,
        events,
    }
}

/// Joins `names` in order and waits until everyone has seen everyone.
pub async fn join_all(tb: &Testbed, room: &str, names: &[&str]) -> Vec<Client> {
    let mut clients = Vec::new();
    for name in names {
        clients.push(join(options(tb, room, name)).await);
    }
    for client in clients.iter_mut() {
        client.expect_joined_participants(names).await;
    }
    clients
}

/// Waits until this client is a moderator (the focus grants it to the first participant).
pub async fn until_moderator(client: &mut Client) {
    client
        .expect("role_changed moderator", |e| match e {
            ConferenceEvent::RoleChanged {
                role: omni_jitsi_core::Role::Moderator,
            } => Some(()),
            ConferenceEvent::ConferenceJoined {
                role: omni_jitsi_core::Role::Moderator,
                ..
            } => Some(()),
            _ => None,
        })
        .await;
}

/// A loopback TCP relay in front of Prosody whose connections can be cut, to drop a client's
/// socket the way a flaky mobile network does.
pub struct Relay {
    pub port: u16,
    cut: tokio::sync::watch::Sender<u64>,
}

impl Relay {
    pub async fn start(target_port: u16) -> Relay {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (cut, cuts) = tokio::sync::watch::channel(0u64);
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let mut cuts = cuts.clone();
                cuts.mark_unchanged();
                tokio::spawn(async move {
                    let Ok(mut outbound) =
                        tokio::net::TcpStream::connect(("127.0.0.1", target_port)).await
                    else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = cuts.changed() => {}
                    }
                });
            }
        });
        Relay { port, cut }
    }

    /// Drops every connection open right now; new ones are relayed again.
    pub fn cut(&self) {
        self.cut.send_modify(|n| *n += 1);
    }
}
