//! The XEP-0114 stream splitter fed the same bytes whole and in the pieces the first byte picks:
//! TCP may cut a stream anywhere, and the stanzas must not depend on where.

#![no_main]

use libfuzzer_sys::fuzz_target;
use omni_jitsi_core::xml::{StreamSplitter, XmlLimits};
use omni_jitsi_fuzz::assert_serialises;

fuzz_target!(|data: &[u8]| {
    let Some((&cut, stream)) = data.split_first() else {
        return;
    };
    let limits = XmlLimits::default();
    let whole = StreamSplitter::new(limits).feed(stream);
    let mut pieces = StreamSplitter::new(limits);
    let mut events = Vec::new();
    let mut failed = false;
    for chunk in stream.chunks(usize::from(cut) + 1) {
        match pieces.feed(chunk) {
            Ok(more) => events.extend(more),
            Err(_) => {
                failed = true;
                break;
            }
        }
    }
    if let (Ok(whole), false) = (&whole, failed) {
        assert_eq!(
            &events, whole,
            "the stanzas depend on how the stream was cut"
        );
    }
    for event in whole.iter().flatten() {
        if let omni_jitsi_core::xml::StreamEvent::Stanza(el) = event {
            assert_serialises(el);
        }
    }
});
