//! Routes the core's `log` records to the platform: logcat (tag `OmniJitsiMeet`) on Android,
//! the unified log (subsystem `org.omnijitsi.meet`) on Apple platforms, stderr elsewhere; or to a
//! `LogSink` the app installs, which wins everywhere.

use std::sync::{Arc, OnceLock, RwLock};

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum LogLevel {
    Off,
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

#[uniffi::export(with_foreign)]
pub trait LogSink: Send + Sync {
    fn log(&self, level: LogLevel, target: String, message: String);
}

struct Router {
    sink: RwLock<Option<Arc<dyn LogSink>>>,
}

fn router() -> &'static Router {
    static ROUTER: OnceLock<Router> = OnceLock::new();
    ROUTER.get_or_init(|| {
        let router = Router {
            sink: RwLock::new(None),
        };
        // When the host process installed its own logger first, our records go there instead.
        if log::set_logger(&RouterRef).is_ok() {
            log::set_max_level(log::LevelFilter::Warn);
        }
        router
    })
}

struct RouterRef;

impl log::Log for RouterRef {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &log::Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let sink = router().sink.read().ok().and_then(|s| s.clone());
        match sink {
            Some(sink) => sink.log(
                level_of(record.level()),
                record.target().to_string(),
                record.args().to_string(),
            ),
            None => platform_log(record),
        }
    }

    fn flush(&self) {}
}

fn level_of(level: log::Level) -> LogLevel {
    match level {
        log::Level::Error => LogLevel::Error,
        log::Level::Warn => LogLevel::Warn,
        log::Level::Info => LogLevel::Info,
        log::Level::Debug => LogLevel::Debug,
        log::Level::Trace => LogLevel::Trace,
    }
}

#[cfg(target_os = "android")]
fn platform_log(record: &log::Record<'_>) {
    static ANDROID: OnceLock<android_logger::AndroidLogger> = OnceLock::new();
    let logger = ANDROID.get_or_init(|| {
        android_logger::AndroidLogger::new(
            android_logger::Config::default()
                .with_tag("OmniJitsiMeet")
                .with_max_level(log::LevelFilter::Trace),
        )
    });
    log::Log::log(logger, record);
}

#[cfg(any(target_os = "ios", target_os = "macos"))]
fn platform_log(record: &log::Record<'_>) {
    static OSLOG: OnceLock<oslog::OsLogger> = OnceLock::new();
    let logger = OSLOG.get_or_init(|| oslog::OsLogger::new("org.omnijitsi.meet"));
    log::Log::log(logger, record);
}

#[cfg(not(any(target_os = "android", target_os = "ios", target_os = "macos")))]
fn platform_log(record: &log::Record<'_>) {
    eprintln!("{} {}: {}", record.level(), record.target(), record.args());
}

/// Installs the router with its default level; called before the first meeting starts.
pub(crate) fn install() {
    router();
}

/// Sets how much the library logs. The default is `Warn`.
#[uniffi::export]
pub fn set_log_level(level: LogLevel) {
    router();
    log::set_max_level(match level {
        LogLevel::Off => log::LevelFilter::Off,
        LogLevel::Error => log::LevelFilter::Error,
        LogLevel::Warn => log::LevelFilter::Warn,
        LogLevel::Info => log::LevelFilter::Info,
        LogLevel::Debug => log::LevelFilter::Debug,
        LogLevel::Trace => log::LevelFilter::Trace,
    });
}

/// Sends log records to `sink` instead of the platform log; null restores the platform log.
#[uniffi::export]
pub fn set_log_sink(sink: Option<Arc<dyn LogSink>>) {
    if let Ok(mut slot) = router().sink.write() {
        *slot = sink;
    }
}
