//! The UniFFI surface of omni-jitsi-core. Not built yet: the Kotlin and Swift SDK issues add the
//! records, objects and listener trait here. Until then this crate only re-exports the core.

pub use omni_jitsi_core as core;
