//! A local Jitsi deployment for tests and the demo: the real Prosody (as Jitsi deploys it) and a
//! focus that behaves towards clients the way Jicofo does. Everything listens on loopback ports
//! chosen at start, so tests run in parallel, each with its own testbed.
//!
//! The videobridge (`bridge`) forwards media between participants the focus invited to it; the
//! recorder is a stand-in that records nothing. A TURN server (`turn`), when asked for, relays
//! P2P media, and Prosody hands out credentials for it.

pub mod bridge;
mod component;
pub mod fault_control;
pub mod fault_proxy;
pub mod focus;
mod prosody;
pub mod token;
pub mod turn;

use std::time::{Duration, Instant};

pub use focus::{ConferenceRequests, FocusBehaviour, FocusControl, ReinviteMethod};

use component::Component;
use focus::Focus;
use prosody::Prosody;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TestbedError {
    #[error(
        "prosody is not installed (/usr/bin/prosody); `cargo xtask test` installs it with apt-get"
    )]
    ProsodyMissing,
    #[error("prosody did not start: {0}")]
    ProsodyFailed(String),
    #[error("the focus component could not connect: {0}")]
    Component(String),
    #[error("{0}")]
    Io(String),
}

#[derive(Debug, Clone, Default)]
pub struct TestbedOptions {
    pub focus: FocusBehaviour,
    /// How long Prosody keeps a dropped client's session for XEP-0198 resumption
    /// (`smacks_hibernation_time`, whole seconds); 60 s, as on a deployment, when None. Short,
    /// it makes the server forget sessions.
    pub session_hibernation: Option<Duration>,
    /// Run a TURN server (also the STUN server) that Prosody advertises through XEP-0215
    /// (`mod_turn_external`, as docker-jitsi-meet sets it up); `Testbed::turn` is its handle.
    pub turn: bool,
    /// Require JWT tokens as a deployment with `authentication = "token"` does (`token::TokenAuth`
    /// mints them); anonymous logins are refused.
    pub token_auth: Option<token::TokenAuth>,
    /// The bridge presents a DTLS certificate other than the one whose fingerprint its offers
    /// carry (`Bridge::start_impostor`): a man in the middle of the media path.
    pub bridge_impostor: bool,
}

/// The videobridge the focus puts participants on now; `Testbed::move_bridge` replaces it.
pub type CurrentBridge = std::sync::Arc<std::sync::Mutex<std::sync::Arc<bridge::Bridge>>>;

pub struct Testbed {
    prosody: Prosody,
    turn: Option<turn::TurnServer>,
    focus: tokio::task::JoinHandle<()>,
    bridge: Option<CurrentBridge>,
    focus_control: tokio::sync::mpsc::UnboundedSender<FocusControl>,
    conference_requests: ConferenceRequests,
}

const COMPONENT_CONNECT_WITHIN: Duration = Duration::from_secs(10);

impl Testbed {
    pub async fn start(options: TestbedOptions) -> Result<Testbed, TestbedError> {
        let hibernation = options
            .session_hibernation
            .unwrap_or(Duration::from_secs(60));
        let turn = if options.turn {
            let secret = format!("{:032x}", rand::random::<u128>());
            Some(
                turn::TurnServer::start(&secret)
                    .await
                    .map_err(|e| TestbedError::Io(e.to_string()))?,
            )
        } else {
            None
        };
        let external_turn = turn.as_ref().map(|t| prosody::ExternalTurn {
            port: t.port(),
            secret: t.secret().to_string(),
        });
        let prosody = Prosody::start(
            hibernation,
            external_turn.as_ref(),
            options.token_auth.as_ref(),
        )
        .await?;
        let component = connect_focus(&prosody).await?;
        let bridge = if options.focus.bridge {
            let bridge = if options.bridge_impostor {
                bridge::Bridge::start_impostor(bridge::BRIDGE_IDS[0]).await
            } else {
                bridge::Bridge::start().await
            }
            .map_err(|e| TestbedError::Io(e.to_string()))?;
            Some(std::sync::Arc::new(std::sync::Mutex::new(
                std::sync::Arc::new(bridge),
            )))
        } else {
            None
        };
        let conference_requests = ConferenceRequests::default();
        let (focus_control, control) = tokio::sync::mpsc::unbounded_channel();
        let focus = tokio::spawn(run_focus(
            component,
            prosody.ports.component,
            prosody.component_secret.clone(),
            options.focus,
            bridge.clone(),
            conference_requests.clone(),
            control,
        ));
        Ok(Testbed {
            prosody,
            turn,
            focus,
            bridge,
            focus_control,
            conference_requests,
        })
    }

    /// What an app passes as the server URL: config.js is served here, as on a deployment.
    pub fn server_url(&self) -> String {
        self.prosody.server_url()
    }

    pub fn websocket_url(&self) -> String {
        self.prosody.websocket_url()
    }

    pub fn domain(&self) -> &'static str {
        prosody::DOMAIN
    }

    pub fn muc_domain(&self) -> &'static str {
        prosody::MUC
    }

    pub fn focus_domain(&self) -> &'static str {
        prosody::FOCUS
    }

    /// The videobridge the focus puts participants on, when it runs one
    /// (`FocusBehaviour::bridge`).
    pub fn bridge(&self) -> Option<std::sync::Arc<bridge::Bridge>> {
        self.bridge
            .as_ref()
            .map(|b| b.lock().unwrap_or_else(|p| p.into_inner()).clone())
    }

    /// Where the current videobridge is kept, for a fault control that outlives a move.
    pub fn current_bridge(&self) -> Option<CurrentBridge> {
        self.bridge.clone()
    }

    /// Takes the current videobridge away as a bridge shutting down does: a second bridge
    /// (its own sockets, certificate and colibri-ws server) starts, the focus moves every
    /// participant onto it as Jicofo does (`JingleSessions::move_to`), and the old one's
    /// endpoints expire. Returns when the focus has been told.
    pub async fn move_bridge(&self) -> Result<(), TestbedError> {
        let current = self
            .bridge
            .as_ref()
            .ok_or_else(|| TestbedError::Io("the testbed runs no bridge".into()))?;
        let old = self
            .bridge()
            .map(|b| b.id())
            .unwrap_or(bridge::BRIDGE_IDS[0]);
        let id = if old == bridge::BRIDGE_IDS[0] {
            bridge::BRIDGE_IDS[1]
        } else {
            bridge::BRIDGE_IDS[0]
        };
        let next = std::sync::Arc::new(
            bridge::Bridge::start_as(id)
                .await
                .map_err(|e| TestbedError::Io(e.to_string()))?,
        );
        *current.lock().unwrap_or_else(|p| p.into_inner()) = next.clone();
        self.focus_control
            .send(FocusControl::MoveTo(next))
            .map_err(|_| TestbedError::Io("the focus is gone".into()))
    }

    /// The TURN server Prosody advertises, when the testbed runs one (`TestbedOptions::turn`).
    pub fn turn(&self) -> Option<&turn::TurnServer> {
        self.turn.as_ref()
    }

    /// Conference requests the focus has received so far.
    pub fn conference_requests(&self) -> usize {
        self.conference_requests.count()
    }

    /// Prosody's log, for reading after a failure.
    pub fn log_path(&self) -> std::path::PathBuf {
        self.prosody.log_path()
    }

    /// The Prosody process, for benchmarks that read its CPU time.
    pub fn prosody_pid(&self) -> Option<u32> {
        self.prosody.pid()
    }

    /// Stanzas Prosody has delivered to client sessions since it started.
    pub async fn stanzas_delivered(&self) -> Result<u64, TestbedError> {
        self.prosody.stanzas_delivered().await
    }

    /// Kills Prosody and starts it again on the same ports: every client session and room is
    /// lost, and the focus reconnects its component as Jicofo reconnects to its XMPP server.
    /// Returns when Prosody accepts WebSocket clients again.
    pub async fn restart_prosody(&mut self) -> Result<Instant, TestbedError> {
        self.prosody.restart().await?;
        Ok(Instant::now())
    }

    pub async fn stop(mut self) {
        self.focus.abort();
        self.prosody.stop().await;
    }
}

impl Drop for Testbed {
    fn drop(&mut self) {
        self.focus.abort();
    }
}

/// The focus for the testbed's lifetime. When Prosody goes away the component stream ends; the
/// focus's conferences go with it (their bridge endpoints are expired), and a fresh focus
/// serves the reconnected component, so the next conference request recreates the room.
async fn run_focus(
    mut component: Component,
    port: u16,
    secret: String,
    behaviour: FocusBehaviour,
    bridge: Option<CurrentBridge>,
    requests: ConferenceRequests,
    mut control: tokio::sync::mpsc::UnboundedReceiver<FocusControl>,
) {
    let current = || {
        bridge
            .as_ref()
            .map(|b| b.lock().unwrap_or_else(|p| p.into_inner()).clone())
    };
    loop {
        let mut focus = Focus::new(behaviour.clone(), prosody::MUC, prosody::FOCUS)
            .counting_into(requests.clone());
        if let Some(bridge) = current() {
            focus = focus.with_bridge(bridge);
        }
        component.serve(focus, &mut control).await;
        log::info!("focus: the component stream ended; reconnecting");
        if let Some(bridge) = current() {
            bridge.expire_all();
        }
        component = loop {
            match Component::connect(port, prosody::FOCUS, &secret).await {
                Ok(c) => break c,
                Err(e) => {
                    log::debug!("focus: not reconnected yet: {e}");
                    // Prosody offers no readiness signal; this loop lives as long as the
                    // testbed, which aborts it.
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        };
    }
}

async fn connect_focus(prosody: &Prosody) -> Result<Component, TestbedError> {
    let deadline = Instant::now() + COMPONENT_CONNECT_WITHIN;
    loop {
        match Component::connect(
            prosody.ports.component,
            prosody::FOCUS,
            &prosody.component_secret,
        )
        .await
        {
            Ok(c) => return Ok(c),
            Err(e) if Instant::now() >= deadline => return Err(e),
            Err(e) => {
                log::debug!("focus not connected yet: {e}");
                // The component port opens with the rest of Prosody, usually already; bounded.
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}
