//! From the app's server URL and the deployment's config.js (its first line is the URL, the rest
//! the file) to the endpoints, then the WebSocket URL for a room name.

#![no_main]

use libfuzzer_sys::fuzz_target;
use omni_jitsi_core::server::resolve_offline;
use omni_jitsi_core::RoomName;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (url, config_js) = text.split_once('\n').unwrap_or((&text, ""));
    let Ok(endpoints) = resolve_offline(url, config_js) else {
        return;
    };
    assert!(
        matches!(endpoints.websocket.scheme(), "ws" | "wss"),
        "not a WebSocket URL: {}",
        endpoints.websocket
    );
    let room = RoomName::parse("Café").expect("a valid room name");
    let _ = endpoints.websocket_for(&room, Some("eyJ"));
});
