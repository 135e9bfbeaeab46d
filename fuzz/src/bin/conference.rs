//! The conference state machine, joined to a bridge conference, fed a NUL-separated script of
//! stanzas, media engine answers, colibri messages, commands and time (see the harness).

#![no_main]

use libfuzzer_sys::fuzz_target;
use omni_jitsi_fuzz::conference::Harness;
use omni_jitsi_fuzz::steps;

fuzz_target!(|data: &[u8]| {
    let mut h = Harness::joined();
    for step in steps(data) {
        h.step(step);
    }
});
