//! One small tokio runtime for the whole library: the app calls us from its own threads and
//! executors, and every future we run needs tokio's reactor.

use std::future::Future;
use std::sync::OnceLock;

use tokio::runtime::Runtime;

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

/// Runs `future` on our runtime and awaits it from whatever executor the foreign side uses.
pub async fn run<F>(future: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    match runtime().spawn(future).await {
        Ok(output) => output,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}
