//! One small tokio runtime for the whole library: the app calls us from its own threads and
//! executors, and every future we run needs tokio's reactor.

use std::future::Future;
use std::sync::OnceLock;

use tokio::runtime::Runtime;

use crate::error::MeetingError;

fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("omni-jitsi")
            .enable_all()
            .build()
            .expect("the tokio runtime starts")
    })
}

/// Runs `future` on our runtime and awaits it from whatever executor the foreign side uses. A
/// panic inside (a bug of ours) comes back as [`MeetingError::Internal`], a typed error like any
/// other, rather than UniFFI's untyped internal exception.
pub async fn run<F, T, E>(future: F) -> Result<T, MeetingError>
where
    F: Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: Into<MeetingError> + Send + 'static,
{
    match runtime().spawn(future).await {
        Ok(output) => output.map_err(Into::into),
        Err(e) => Err(internal(e)),
    }
}

/// For the calls that cannot fail: a panic inside gives `fallback`, and a log line.
pub async fn run_or<F>(future: F, fallback: F::Output) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    match runtime().spawn(future).await {
        Ok(output) => output,
        Err(e) => {
            log::error!("{}", internal(e));
            fallback
        }
    }
}

/// For the synchronous calls with an error type.
pub fn guard<T>(call: impl FnOnce() -> Result<T, MeetingError>) -> Result<T, MeetingError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(call)).unwrap_or_else(|panic| {
        Err(MeetingError::Internal(format!(
            "the SDK failed inside: {}",
            panic_text(panic.as_ref())
        )))
    })
}

fn internal(e: tokio::task::JoinError) -> MeetingError {
    let detail = match e.try_into_panic() {
        Ok(panic) => panic_text(panic.as_ref()),
        Err(e) => e.to_string(),
    };
    MeetingError::Internal(format!("the SDK failed inside: {detail}"))
}

fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_inside_is_a_typed_internal_error() {
        let ran = std::thread::spawn(|| futures_executor(run(async { boom() })))
            .join()
            .expect("the panic stayed inside");
        assert_eq!(
            ran,
            Err(MeetingError::Internal(
                "the SDK failed inside: boom 42".into()
            ))
        );
        let guarded = guard(|| -> Result<(), MeetingError> { panic!("sync") });
        assert_eq!(
            guarded,
            Err(MeetingError::Internal("the SDK failed inside: sync".into()))
        );
        let fallback = futures_executor(run_or(async { quiet() }, 7));
        assert_eq!(fallback, 7);
    }

    fn boom() -> Result<(), MeetingError> {
        panic!("boom {}", 42)
    }

    fn quiet() -> i32 {
        panic!("quiet")
    }

    /// The app's executor is not tokio: drive the future on a plain thread.
    fn futures_executor<F: Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(future)
    }
}
