//! `omni-jitsi-testbed`: runs the testbed until stdin closes or SIGTERM/SIGINT arrives, after
//! printing one JSON line with its endpoints (for the xtask, the demo and the Kotlin/Swift tests).

use omni_jitsi_testbed::{Testbed, TestbedOptions};
use tokio::io::AsyncReadExt;

#[tokio::main]
async fn main() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let testbed = match Testbed::start(TestbedOptions::default()).await {
        Ok(t) => t,
        Err(e) => {
            eprintln!("omni-jitsi-testbed: {e}");
            std::process::exit(1);
        }
    };
    let ready = serde_json::json!({
        "server_url": testbed.server_url(),
        "websocket_url": testbed.websocket_url(),
        "domain": testbed.domain(),
        "muc": testbed.muc_domain(),
        "focus": testbed.focus_domain(),
        "prosody_log": testbed.log_path(),
    });
    println!("{ready}");

    let stdin_closed = async {
        let mut stdin = tokio::io::stdin();
        let mut buf = [0u8; 256];
        while matches!(stdin.read(&mut buf).await, Ok(n) if n > 0) {}
    };
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("omni-jitsi-testbed: cannot watch SIGTERM: {e}");
            std::process::exit(1);
        }
    };
    tokio::select! {
        _ = stdin_closed => {}
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    testbed.stop().await;
}
