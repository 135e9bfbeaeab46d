//! The bridge channel's I/O: one task owns the colibri WebSocket and drives the state machine
//! in `channel`; the conference talks to it through a handle and hears back through events.

use std::collections::VecDeque;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;
use url::Url;

use super::channel::{BridgeChannel, BridgeEvent, ChannelError, Input, Output};
use super::message::{ReceiverVideoConstraints, ToBridge, MAX_MESSAGE_BYTES};
use crate::redact;
use crate::transport::websocket;
use crate::transport::{BoxedIo, Policy};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

enum Command {
    Constraints(ReceiverVideoConstraints),
    Send(ToBridge, oneshot::Sender<Result<(), ChannelError>>),
    Alone(bool),
    Close(oneshot::Sender<()>),
}

/// Dropping the handle closes the channel.
pub struct BridgeHandle {
    commands: mpsc::UnboundedSender<Command>,
}

impl BridgeHandle {
    /// Opens the channel at the URL from the Jingle transport's `web-socket` element.
    pub fn spawn(
        url: Url,
        policy: Policy,
        events: mpsc::UnboundedSender<BridgeEvent>,
    ) -> BridgeHandle {
        let (commands, rx) = mpsc::unbounded_channel();
        tokio::spawn(run(url, policy, rx, events));
        BridgeHandle { commands }
    }

    pub fn set_receiver_constraints(&self, constraints: ReceiverVideoConstraints) {
        let _ = self.commands.send(Command::Constraints(constraints));
    }

    /// Whether we are the only participant: the bridge's 1001 close is then a goodbye.
    pub fn set_alone(&self, alone: bool) {
        let _ = self.commands.send(Command::Alone(alone));
    }

    pub async fn send(&self, message: ToBridge) -> Result<(), ChannelError> {
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(Command::Send(message, tx))
            .map_err(|_| ChannelError::NotOpen)?;
        rx.await.unwrap_or(Err(ChannelError::NotOpen))
    }

    pub async fn close(&self) {
        let (tx, rx) = oneshot::channel();
        if self.commands.send(Command::Close(tx)).is_ok() {
            let _ = rx.await;
        }
    }
}

type Socket = WebSocketStream<BoxedIo>;

struct Driver {
    url: Url,
    policy: Policy,
    channel: BridgeChannel,
    socket: Option<Socket>,
    retry: Option<(Instant, u64)>,
    alone: bool,
    events: mpsc::UnboundedSender<BridgeEvent>,
    finished: bool,
}

async fn run(
    url: Url,
    policy: Policy,
    mut commands: mpsc::UnboundedReceiver<Command>,
    events: mpsc::UnboundedSender<BridgeEvent>,
) {
    let mut driver = Driver {
        url,
        policy,
        channel: BridgeChannel::new(),
        socket: None,
        retry: None,
        alone: false,
        events,
        finished: false,
    };
    let start = driver.channel.start();
    driver.apply(start).await;
    while !driver.finished {
        let retry_at = driver.retry.map(|(at, _)| at);
        tokio::select! {
            command = commands.recv() => match command {
                None => driver.shut_down().await,
                Some(Command::Close(done)) => {
                    driver.shut_down().await;
                    let _ = done.send(());
                }
                Some(Command::Alone(alone)) => driver.alone = alone,
                Some(Command::Constraints(c)) => {
                    let out = driver.channel.set_receiver_constraints(c);
                    driver.apply(out).await;
                }
                Some(Command::Send(message, reply)) => {
                    let result = match driver.channel.send(message) {
                        Ok(out) => {
                            driver.apply(out).await;
                            Ok(())
                        }
                        Err(e) => Err(e),
                    };
                    let _ = reply.send(result);
                }
            },
            input = next_input(&mut driver.socket) => {
                driver.feed(input).await;
            }
            () = sleep_until(retry_at), if retry_at.is_some() => {
                if let Some((_, generation)) = driver.retry.take() {
                    driver.feed(Input::RetryTimer(generation)).await;
                }
            }
        }
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The next thing the socket says, as a state machine input; pending while there is no socket.
async fn next_input(socket: &mut Option<Socket>) -> Input {
    let Some(ws) = socket.as_mut() else {
        return std::future::pending().await;
    };
    loop {
        let closed = |code: Option<u16>, reason: String| Input::Closed { code, reason };
        let input = match ws.next().await {
            None => closed(None, "the bridge closed the connection".into()),
            Some(Err(e)) => closed(None, e.to_string()),
            Some(Ok(Message::Text(text))) => Input::Text(text.as_str().to_string()),
            Some(Ok(Message::Close(frame))) => match frame {
                Some(f) => closed(Some(f.code.into()), f.reason.as_str().to_string()),
                None => closed(None, "closed without a reason".into()),
            },
            Some(Ok(_)) => continue,
        };
        if matches!(input, Input::Closed { .. }) {
            *socket = None;
        }
        return input;
    }
}

impl Driver {
    async fn feed(&mut self, input: Input) {
        let out = self.channel.handle(input, self.alone);
        self.apply(out).await;
    }

    /// Outputs may produce inputs (a connection attempt opens or fails): run them to quiescence.
    async fn apply(&mut self, out: Vec<Output>) {
        let mut queue: VecDeque<Output> = out.into();
        while let Some(output) = queue.pop_front() {
            let input = match output {
                Output::Connect => Some(self.connect().await),
                Output::Send(text) => self.send_text(text).await,
                Output::Event(event) => {
                    let _ = self.events.send(event);
                    None
                }
                Output::RetryAfter { delay, generation } => {
                    self.retry = Some((Instant::now() + delay, generation));
                    None
                }
                Output::Disconnect => {
                    self.disconnect().await;
                    None
                }
            };
            if let Some(input) = input {
                queue.extend(self.channel.handle(input, self.alone));
            }
        }
    }

    async fn connect(&mut self) -> Input {
        let shown = redact::url(self.url.as_str());
        match websocket::open(
            &self.url,
            None,
            MAX_MESSAGE_BYTES,
            CONNECT_TIMEOUT,
            &self.policy,
        )
        .await
        {
            Ok(ws) => {
                log::info!("bridge channel open: {shown}");
                self.socket = Some(ws);
                Input::Opened
            }
            Err(e) => {
                log::warn!("bridge channel to {shown} failed: {e}");
                Input::Closed {
                    code: None,
                    reason: e.to_string(),
                }
            }
        }
    }

    async fn send_text(&mut self, text: String) -> Option<Input> {
        let ws = self.socket.as_mut()?;
        match ws.send(Message::text(text)).await {
            Ok(()) => None,
            Err(e) => {
                self.socket = None;
                Some(Input::Closed {
                    code: None,
                    reason: e.to_string(),
                })
            }
        }
    }

    async fn disconnect(&mut self) {
        if let Some(mut ws) = self.socket.take() {
            let _ = ws.close(None).await;
            // Drain until the bridge acknowledges, so it sees a clean close rather than a reset.
            let drained = tokio::time::timeout(Duration::from_secs(2), async {
                while let Some(Ok(_)) = ws.next().await {}
            });
            let _ = drained.await;
        }
    }

    async fn shut_down(&mut self) {
        let out = self.channel.close();
        self.apply(out).await;
        self.disconnect().await;
        self.finished = true;
    }
}
