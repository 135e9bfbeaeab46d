//! A conference: the sans-IO state machine (`state`), the task that drives it over a socket
//! (`driver`), and the `Meeting` handle the app holds.

mod driver;
mod meeting;
mod p2p;
pub mod state;

pub use meeting::{join, Meeting};
