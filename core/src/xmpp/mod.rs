//! XMPP over WebSocket as sans-IO pieces: stream negotiation, stream management (XEP-0198),
//! IQ tracking and keepalive pings. The driver feeds them parsed stanzas and the time.

pub mod extdisco;
pub mod iq;
pub mod negotiation;
pub mod ns;
pub mod ping;
pub mod sm;
pub mod stanza;
