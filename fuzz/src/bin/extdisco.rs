//! XEP-0215 replies: the STUN/TURN servers the deployment hands out become ICE servers.

#![no_main]

use libfuzzer_sys::fuzz_target;
use omni_jitsi_core::xmpp::extdisco;
use omni_jitsi_fuzz::stanza;

fuzz_target!(|data: &[u8]| {
    if let Some(el) = stanza(data) {
        let _ = extdisco::parse(&el);
    }
});
