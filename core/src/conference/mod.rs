//! A conference: the sans-IO state machine (`state`, with the P2P Jingle session in
//! `state/media.rs` and the bridge's in `state/bridge.rs`), the task that drives it over a socket (`driver`), the media engine's side of
//! that task (`media_engine`, speaking `media_command`), the `Meeting` handle the app holds, and
//! the P2P decision (`p2p`), and the schedule of reconnection tries (`reconnect`).

mod driver;
pub mod media_command;
mod media_engine;
mod meeting;
pub mod p2p;
pub mod reconnect;
pub mod state;

pub use media_engine::RemoteVideoFrame;
pub use meeting::{join, Meeting, ReceiverConstraints};
