//! Namespaces used across the protocol layers.

pub const CLIENT: &str = "jabber:client";
pub const FRAMING: &str = "urn:ietf:params:xml:ns:xmpp-framing";
pub const STREAMS: &str = "http://etherx.jabber.org/streams";
pub const SASL: &str = "urn:ietf:params:xml:ns:xmpp-sasl";
pub const BIND: &str = "urn:ietf:params:xml:ns:xmpp-bind";
pub const SESSION: &str = "urn:ietf:params:xml:ns:xmpp-session";
pub const SM: &str = "urn:xmpp:sm:3";
pub const STANZAS: &str = "urn:ietf:params:xml:ns:xmpp-stanzas";
pub const PING: &str = "urn:xmpp:ping";
pub const DISCO_INFO: &str = "http://jabber.org/protocol/disco#info";
pub const CAPS: &str = "http://jabber.org/protocol/caps";
pub const DELAY: &str = "urn:xmpp:delay";
pub const LEGACY_DELAY: &str = "jabber:x:delay";
pub const DATA_FORMS: &str = "jabber:x:data";

pub const MUC: &str = "http://jabber.org/protocol/muc";
pub const MUC_USER: &str = "http://jabber.org/protocol/muc#user";
pub const MUC_ADMIN: &str = "http://jabber.org/protocol/muc#admin";
pub const MUC_OWNER: &str = "http://jabber.org/protocol/muc#owner";
pub const NICK: &str = "http://jabber.org/protocol/nick";

pub const FOCUS: &str = "http://jitsi.org/protocol/focus";
pub const JITMEET: &str = "http://jitsi.org/jitmeet";
pub const JITMEET_AUDIO: &str = "http://jitsi.org/jitmeet/audio";
pub const JITMEET_VIDEO: &str = "http://jitsi.org/jitmeet/video";
