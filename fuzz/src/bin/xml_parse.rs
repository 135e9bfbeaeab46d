//! The bounded stanza parser on arbitrary text, and what it yields written back out.

#![no_main]

use libfuzzer_sys::fuzz_target;
use omni_jitsi_fuzz::{assert_serialises, stanza};

fuzz_target!(|data: &[u8]| {
    if let Some(el) = stanza(data) {
        assert_serialises(&el);
    }
});
