//! Room and private chat messages, subjects and delayed (history) messages.

#![no_main]

use libfuzzer_sys::fuzz_target;
use omni_jitsi_core::muc::chat;
use omni_jitsi_core::{EndpointId, Jid};
use omni_jitsi_fuzz::stanza;

fuzz_target!(|data: &[u8]| {
    let Some(el) = stanza(data) else { return };
    let room = Jid::parse("standup@conference.meet.test").expect("a valid room JID");
    let _ = chat::parse(&el, &room, &EndpointId::new("me000001"), 1_700_000_000_000);
});
