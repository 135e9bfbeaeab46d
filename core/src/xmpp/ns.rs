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
pub const JITMEET_START_MUTED: &str = "http://jitsi.org/jitmeet/start-muted";

/// Jingle (XEP-0166) and the extensions Jitsi uses, as lib-jitsi-meet's `XEP` enum and
/// jitsi-xmpp-extensions name them.
pub const JINGLE: &str = "urn:xmpp:jingle:1";
pub const JINGLE_ERRORS: &str = "urn:xmpp:jingle:errors:1";
pub const JINGLE_RTP: &str = "urn:xmpp:jingle:apps:rtp:1";
pub const JINGLE_RTCP_FB: &str = "urn:xmpp:jingle:apps:rtp:rtcp-fb:0";
pub const JINGLE_RTP_HDREXT: &str = "urn:xmpp:jingle:apps:rtp:rtp-hdrext:0";
pub const JINGLE_SSMA: &str = "urn:xmpp:jingle:apps:rtp:ssma:0";
pub const JINGLE_GROUPING: &str = "urn:xmpp:jingle:apps:grouping:0";
pub const JINGLE_ICE_UDP: &str = "urn:xmpp:jingle:transports:ice-udp:1";
pub const JINGLE_DTLS: &str = "urn:xmpp:jingle:apps:dtls:0";
pub const JINGLE_DTLS_SCTP: &str = "urn:xmpp:jingle:transports:dtls-sctp:1";
pub const COLIBRI: &str = "http://jitsi.org/protocol/colibri";
