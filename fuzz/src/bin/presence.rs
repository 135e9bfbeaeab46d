//! MUC presence decoding: Jitsi's extensions, mute state, raised hands and the SourceInfo JSON
//! lib-jitsi-meet puts in presence.

#![no_main]

use libfuzzer_sys::fuzz_target;
use omni_jitsi_core::muc::presence;
use omni_jitsi_core::Jid;
use omni_jitsi_fuzz::stanza;

fuzz_target!(|data: &[u8]| {
    let Some(el) = stanza(data) else { return };
    let room = Jid::parse("standup@conference.meet.test").expect("a valid room JID");
    let _ = presence::parse(&el, &room);
});
