//! The focus's answer to our conference request, as the IQ tracker matches it.

#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use omni_jitsi_core::focus;
use omni_jitsi_core::xmpp::iq::IqTracker;
use omni_jitsi_fuzz::stanza;

fuzz_target!(|data: &[u8]| {
    let Some(el) = stanza(data) else { return };
    let mut iqs = IqTracker::new("c");
    // The id the fuzzer must hit, as the seeds carry it: "c1".
    iqs.track((), Instant::now(), Duration::from_secs(1));
    let _ = focus::reservation_error(&el);
    if let Some(((), outcome)) = iqs.resolve(&el) {
        let _ = focus::parse_reply(outcome);
    }
});
