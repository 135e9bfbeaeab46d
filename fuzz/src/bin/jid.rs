//! JIDs from stanza attributes: one we accept prints as text that parses back to it.

#![no_main]

use libfuzzer_sys::fuzz_target;
use omni_jitsi_core::Jid;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(jid) = Jid::parse(text) {
        assert_eq!(
            Jid::parse(&jid.to_string()).as_ref(),
            Some(&jid),
            "{text:?}"
        );
        let _ = jid.bare();
    }
});
