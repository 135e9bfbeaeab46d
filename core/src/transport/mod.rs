//! Bytes on the wire: TCP, TLS through rustls with the webpki roots and the app's own (no
//! OpenSSL, no platform setup needed on Android or iOS), the XMPP WebSocket, and a minimal HTTP
//! GET for config.js.

pub mod http;
mod policy;
mod stream;
pub mod websocket;

pub use policy::Policy;
pub use stream::connect;
pub(crate) use stream::BoxedIo;
