//! colibri-ws: the videobridge's JSON messages through the channel state machine, one WebSocket
//! text frame per NUL-separated step (`\x01` opens the socket, `\x02` closes it).

#![no_main]

use libfuzzer_sys::fuzz_target;
use omni_jitsi_core::bridge::channel::{BridgeChannel, Input};
use omni_jitsi_core::bridge::message;
use omni_jitsi_fuzz::steps;

fuzz_target!(|data: &[u8]| {
    let mut channel = BridgeChannel::new();
    channel.start();
    channel.handle(Input::Opened, false);
    for step in steps(data) {
        let input = match step {
            [1] => Input::Opened,
            [2] => Input::Closed {
                code: Some(1001),
                reason: String::new(),
            },
            text => {
                let text = String::from_utf8_lossy(text).into_owned();
                let _ = message::parse(&text);
                Input::Text(text)
            }
        };
        channel.handle(input, false);
    }
});
