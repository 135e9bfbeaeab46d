//! The bridge channel as a state machine: what to send when the colibri WebSocket opens, what a
//! bridge message means for the app, and when to reconnect. It follows lib-jitsi-meet's
//! BridgeChannel: on open, the current receiver constraints go out; an unexpected close starts
//! retries one second later, doubling up to a minute, until a socket opens again; a close with
//! code 1001 while we are alone in the room is the bridge's graceful goodbye, not a failure.

use std::time::Duration;

use serde_json::Value;

use super::message::{self, FromBridge, ReceiverVideoConstraints, SourceMapping, ToBridge};

const FIRST_RETRY: Duration = Duration::from_secs(1);
const MAX_RETRY: Duration = Duration::from_secs(60);
/// "Going away": how jitsi-videobridge closes the socket of an endpoint left alone.
const GOING_AWAY: u16 = 1001;

#[derive(Debug, Clone, PartialEq)]
pub enum BridgeEvent {
    Opened,
    /// Only the first failure of a series is reported, as lib-jitsi-meet does.
    Closed {
        code: Option<u16>,
        reason: String,
    },
    DominantSpeakerChanged {
        endpoint: String,
        previous: Vec<String>,
        silence: bool,
    },
    ForwardedSourcesChanged(Vec<String>),
    SenderConstraintChanged {
        source_name: String,
        max_height: i32,
    },
    EndpointConnectivityChanged {
        endpoint: String,
        active: bool,
    },
    EndpointMessageReceived {
        from: Option<String>,
        payload: Value,
    },
    SourcesRemapped {
        video: bool,
        mappings: Vec<SourceMapping>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Open a new WebSocket to the channel URL.
    Connect,
    Send(String),
    Event(BridgeEvent),
    /// Feed `Input::RetryTimer(generation)` back after this long.
    RetryAfter {
        delay: Duration,
        generation: u64,
    },
    /// Close the socket; we are done with this channel.
    Disconnect,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    Opened,
    Text(String),
    Closed { code: Option<u16>, reason: String },
    RetryTimer(u64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Idle,
    Connecting,
    Open,
    Retrying,
    Finished,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ChannelError {
    #[error("the bridge channel is not open")]
    NotOpen,
}

pub struct BridgeChannel {
    state: State,
    constraints: Option<ReceiverVideoConstraints>,
    retry_delay: Duration,
    /// Timers from an earlier retry series are ignored.
    generation: u64,
    failure_reported: bool,
}

impl Default for BridgeChannel {
    fn default() -> Self {
        BridgeChannel::new()
    }
}

impl BridgeChannel {
    pub fn new() -> BridgeChannel {
        BridgeChannel {
            state: State::Idle,
            constraints: None,
            retry_delay: FIRST_RETRY,
            generation: 0,
            failure_reported: false,
        }
    }

    pub fn is_open(&self) -> bool {
        self.state == State::Open
    }

    pub fn start(&mut self) -> Vec<Output> {
        if self.state != State::Idle {
            return Vec::new();
        }
        self.state = State::Connecting;
        vec![Output::Connect]
    }

    /// `alone`: whether we are the only participant left, which makes a 1001 close graceful.
    pub fn handle(&mut self, input: Input, alone: bool) -> Vec<Output> {
        if self.state == State::Finished {
            return Vec::new();
        }
        match input {
            Input::Opened => self.on_open(),
            Input::Text(text) => self.on_text(&text),
            Input::Closed { code, reason } => self.on_close(code, reason, alone),
            Input::RetryTimer(generation) => self.on_retry_timer(generation),
        }
    }

    /// Remembered and sent now if the channel is open, else as soon as it opens.
    pub fn set_receiver_constraints(
        &mut self,
        constraints: ReceiverVideoConstraints,
    ) -> Vec<Output> {
        let out = if self.is_open() {
            vec![Output::Send(
                ToBridge::ReceiverVideoConstraints(constraints.clone()).to_json(),
            )]
        } else {
            Vec::new()
        };
        self.constraints = Some(constraints);
        out
    }

    /// Like lib-jitsi-meet, an endpoint message is not queued: it fails when the channel is down.
    pub fn send(&mut self, message: ToBridge) -> Result<Vec<Output>, ChannelError> {
        if !self.is_open() {
            return Err(ChannelError::NotOpen);
        }
        Ok(vec![Output::Send(message.to_json())])
    }

    pub fn close(&mut self) -> Vec<Output> {
        let was_connected = matches!(self.state, State::Open | State::Connecting);
        self.state = State::Finished;
        if was_connected {
            vec![Output::Disconnect]
        } else {
            Vec::new()
        }
    }

    fn on_open(&mut self) -> Vec<Output> {
        self.state = State::Open;
        self.retry_delay = FIRST_RETRY;
        self.generation += 1;
        self.failure_reported = false;
        let mut out = vec![Output::Event(BridgeEvent::Opened)];
        if let Some(c) = &self.constraints {
            out.push(Output::Send(
                ToBridge::ReceiverVideoConstraints(c.clone()).to_json(),
            ));
        }
        out
    }

    fn on_text(&mut self, text: &str) -> Vec<Output> {
        let message = match message::parse(text) {
            Ok(m) => m,
            Err(e) => {
                log::warn!("dropping a bridge message: {e}");
                return Vec::new();
            }
        };
        let event = match message {
            FromBridge::ServerHello { version } => {
                log::info!("bridge says hello (version {version:?})");
                return Vec::new();
            }
            FromBridge::DominantSpeaker {
                endpoint,
                previous,
                silence,
            } => BridgeEvent::DominantSpeakerChanged {
                endpoint,
                previous,
                silence,
            },
            FromBridge::ForwardedSources(sources) => BridgeEvent::ForwardedSourcesChanged(sources),
            FromBridge::SenderSourceConstraints {
                source_name,
                max_height,
            } => BridgeEvent::SenderConstraintChanged {
                source_name,
                max_height,
            },
            FromBridge::EndpointConnectivity { endpoint, active } => {
                BridgeEvent::EndpointConnectivityChanged { endpoint, active }
            }
            FromBridge::EndpointMessage { from, payload } => {
                BridgeEvent::EndpointMessageReceived { from, payload }
            }
            FromBridge::VideoSourcesMap(mappings) => BridgeEvent::SourcesRemapped {
                video: true,
                mappings,
            },
            FromBridge::AudioSourcesMap(mappings) => BridgeEvent::SourcesRemapped {
                video: false,
                mappings,
            },
            FromBridge::EndpointStats { .. }
            | FromBridge::ConnectionStats { .. }
            | FromBridge::Other { .. } => return Vec::new(),
        };
        vec![Output::Event(event)]
    }

    fn on_close(&mut self, code: Option<u16>, reason: String, alone: bool) -> Vec<Output> {
        if code == Some(GOING_AWAY) && alone {
            log::info!("the bridge closed our channel: we are alone in the room");
            self.state = State::Finished;
            return Vec::new();
        }
        let mut out = Vec::new();
        if !self.failure_reported {
            self.failure_reported = true;
            out.push(Output::Event(BridgeEvent::Closed { code, reason }));
        }
        // A failed attempt while retrying waits for the timer already running.
        if self.state != State::Retrying {
            self.state = State::Retrying;
            self.generation += 1;
            self.retry_delay = FIRST_RETRY;
            out.push(Output::RetryAfter {
                delay: self.retry_delay,
                generation: self.generation,
            });
        }
        out
    }

    fn on_retry_timer(&mut self, generation: u64) -> Vec<Output> {
        if generation != self.generation || self.state != State::Retrying {
            return Vec::new();
        }
        self.retry_delay = (self.retry_delay * 2).min(MAX_RETRY);
        vec![
            Output::Connect,
            Output::RetryAfter {
                delay: self.retry_delay,
                generation: self.generation,
            },
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bridge::message::VideoConstraints;

    fn sent(out: &[Output]) -> Vec<Value> {
        out.iter()
            .filter_map(|o| match o {
                Output::Send(text) => serde_json::from_str(text).ok(),
                _ => None,
            })
            .collect()
    }

    fn closed(code: u16) -> Input {
        Input::Closed {
            code: Some(code),
            reason: "test".into(),
        }
    }

    #[test]
    fn constraints_set_before_open_go_out_when_it_opens() {
        let mut ch = BridgeChannel::new();
        assert_eq!(ch.start(), vec![Output::Connect]);
        let early = ch.set_receiver_constraints(ReceiverVideoConstraints {
            last_n: Some(1),
            default_constraints: Some(VideoConstraints { max_height: 360 }),
            ..Default::default()
        });
        assert!(early.is_empty());
        let out = ch.handle(Input::Opened, false);
        assert_eq!(out[0], Output::Event(BridgeEvent::Opened));
        assert_eq!(
            sent(&out),
            vec![
                serde_json::json!({"colibriClass": "ReceiverVideoConstraints", "lastN": 1,
                                    "defaultConstraints": {"maxHeight": 360}})
            ]
        );
        let later = ch.set_receiver_constraints(ReceiverVideoConstraints {
            last_n: Some(-1),
            ..Default::default()
        });
        assert_eq!(sent(&later)[0]["lastN"], -1);
    }

    #[test]
    fn bridge_messages_become_events_and_junk_is_dropped() {
        let mut ch = BridgeChannel::new();
        ch.start();
        ch.handle(Input::Opened, false);
        let out = ch.handle(
            Input::Text(r#"{"colibriClass":"DominantSpeakerEndpointChangeEvent","dominantSpeakerEndpoint":"b0b0b0b0"}"#.into()),
            false,
        );
        assert_eq!(
            out,
            vec![Output::Event(BridgeEvent::DominantSpeakerChanged {
                endpoint: "b0b0b0b0".into(),
                previous: vec![],
                silence: false
            })]
        );
        assert!(ch.handle(Input::Text("{]".into()), false).is_empty());
        assert!(ch
            .handle(
                Input::Text(r#"{"colibriClass":"ServerHello"}"#.into()),
                false
            )
            .is_empty());
        assert!(ch.is_open());
    }

    #[test]
    fn endpoint_messages_need_an_open_channel() {
        let mut ch = BridgeChannel::new();
        ch.start();
        let message = ToBridge::EndpointMessage {
            to: "b0b0b0b0".into(),
            payload: serde_json::json!({"x": 1}),
        };
        assert_eq!(ch.send(message.clone()), Err(ChannelError::NotOpen));
        ch.handle(Input::Opened, false);
        let out = ch.send(message).unwrap();
        assert_eq!(sent(&out)[0]["to"], "b0b0b0b0");
    }

    #[test]
    fn an_unexpected_close_retries_with_doubling_delays_until_open() {
        let mut ch = BridgeChannel::new();
        ch.start();
        ch.handle(Input::Opened, false);
        let out = ch.handle(closed(1006), false);
        assert!(matches!(
            out[0],
            Output::Event(BridgeEvent::Closed {
                code: Some(1006),
                ..
            })
        ));
        let Output::RetryAfter { delay, generation } = out[1] else {
            panic!("expected a retry, got {out:?}");
        };
        assert_eq!(delay, Duration::from_secs(1));
        let mut delays = Vec::new();
        for _ in 0..8 {
            let out = ch.handle(Input::RetryTimer(generation), false);
            assert_eq!(out[0], Output::Connect);
            let Output::RetryAfter { delay, .. } = out[1] else {
                panic!("expected the next retry");
            };
            delays.push(delay.as_secs());
            // The attempt fails: reported once only, and the running timer stays in charge.
            assert!(ch.handle(closed(1006), false).is_empty());
        }
        assert_eq!(delays, vec![2, 4, 8, 16, 32, 60, 60, 60]);
        ch.handle(Input::Opened, false);
        assert!(ch.handle(Input::RetryTimer(generation), false).is_empty());
        assert!(ch.is_open());
    }

    #[test]
    fn going_away_while_alone_is_a_goodbye_not_a_failure() {
        let mut ch = BridgeChannel::new();
        ch.start();
        ch.handle(Input::Opened, true);
        assert!(ch.handle(closed(1001), true).is_empty());
        assert!(!ch.is_open());
        let mut other = BridgeChannel::new();
        other.start();
        other.handle(Input::Opened, false);
        assert_eq!(other.handle(closed(1001), false).len(), 2);
    }

    #[test]
    fn closing_stops_everything() {
        let mut ch = BridgeChannel::new();
        ch.start();
        ch.handle(Input::Opened, false);
        assert_eq!(ch.close(), vec![Output::Disconnect]);
        assert!(ch.handle(closed(1006), false).is_empty());
        assert!(ch.handle(Input::RetryTimer(1), false).is_empty());
    }
}
