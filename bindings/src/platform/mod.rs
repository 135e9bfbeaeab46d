//! Everything that differs between Android, iOS and the rest lives here.

pub mod logging;
