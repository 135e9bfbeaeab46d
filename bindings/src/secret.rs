//! Tokens, room passwords and stream keys cross the FFI as `Secret`, which Kotlin and Swift map
//! to small classes of their own (uniffi.toml) whose `toString()` / `description` print
//! `<redacted>`. A plain `String` field would show up in the generated Kotlin data class's
//! `toString()` and in Swift's reflection-based `description`, so logging an options object
//! would print the token.
//!
//! The Kotlin and Swift classes are plain values, not UniFFI objects: constructing one must not
//! load the native library, which would register the listener callbacks before the Kotlin layer
//! names their thread.

use std::fmt;

#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

uniffi::custom_type!(Secret, String, {
    lower: |s| s.0,
    try_lift: |s| Ok(Secret(s)),
});

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl From<Secret> for String {
    fn from(s: Secret) -> String {
        s.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        assert_eq!(format!("{:?}", Secret("eyJ.hunter2".into())), "<redacted>");
    }
}
