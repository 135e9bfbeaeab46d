//! The colibri-ws bridge channel: a WebSocket to jitsi-videobridge (its URL comes in the Jingle
//! transport's `web-socket` element) carrying JSON messages: dominant speaker, forwarded
//! sources, sender constraints, endpoint messages one way; receiver video constraints and
//! endpoint messages the other.
//!
//! `message` parses and writes the messages, `channel` is the sans-IO state machine (what to
//! send on open, when to reconnect), `socket` is the task that owns the WebSocket.

pub mod channel;
pub mod message;
mod socket;

pub use channel::{BridgeEvent, ChannelError};
pub use message::{ReceiverVideoConstraints, ToBridge, VideoConstraints};
pub use socket::BridgeHandle;
