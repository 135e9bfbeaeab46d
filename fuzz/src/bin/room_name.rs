//! Room names as users type them: a name we accept becomes a MUC localpart that makes a valid
//! JID, whose node is exactly that localpart.

#![no_main]

use libfuzzer_sys::fuzz_target;
use omni_jitsi_core::{Jid, RoomName};

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(name) = RoomName::parse(raw) else {
        return;
    };
    assert_eq!(RoomName::parse(name.as_str()).as_ref(), Ok(&name));
    let node = name.muc_node();
    let jid = Jid::parse(&format!("{node}@conference.meet.test"))
        .unwrap_or_else(|| panic!("{node:?} is not a JID localpart"));
    assert_eq!(jid.node(), Some(node.as_str()));
});
