//! A conference: the sans-IO state machine (`state`), the task that drives it over a socket
//! (`driver`), the `Meeting` handle the app holds, and the P2P decision (`p2p`), which the
//! media session uses once it lands in the conference.

mod driver;
mod meeting;
pub mod p2p;
mod peer_offer;
pub mod state;

pub use meeting::{join, Meeting};
