//! The conference room (XEP-0045 MUC) with Jitsi's extensions: presence encoding and decoding,
//! the roster, chat, and the owner/admin requests moderators make.

pub mod admin;
pub mod caps;
pub mod chat;
pub mod presence;
pub mod roster;
