//! `omni-jitsi-testbed`: runs the testbed until stdin closes or SIGTERM/SIGINT arrives, after
//! printing one JSON line with its endpoints (for the xtask, the demo and the Kotlin/Swift tests).

use std::sync::Arc;

use omni_jitsi_testbed::fault_control::FaultControl;
use omni_jitsi_testbed::fault_proxy::FaultProxy;
use omni_jitsi_testbed::{Testbed, TestbedOptions};
use tokio::io::AsyncReadExt;

/// A fault proxy in front of Prosody's HTTP port, its control (with the bridge's faults), and
/// the server URL through it.
async fn start_faults(testbed: &Testbed) -> std::io::Result<(FaultControl, String)> {
    let port = testbed
        .server_url()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse::<u16>().ok())
        .ok_or_else(|| std::io::Error::other("the server URL has no port"))?;
    let proxy = Arc::new(FaultProxy::start(port).await?);
    // The WebSocket URL itself: config.js names Prosody's own port, which would bypass the proxy;
    // the SDK reads the domain from the config.js beside it, through the proxy too.
    let relayed = format!("ws://127.0.0.1:{}/xmpp-websocket", proxy.port());
    Ok((
        FaultControl::start(proxy, testbed.current_bridge()).await?,
        relayed,
    ))
}

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
    // Kotlin and Swift tests reach Prosody through a fault proxy they drive over HTTP.
    let faults = match start_faults(&testbed).await {
        Ok(f) => f,
        Err(e) => {
            eprintln!("omni-jitsi-testbed: cannot start the fault proxy: {e}");
            std::process::exit(1);
        }
    };
    let ready = serde_json::json!({
        "server_url": testbed.server_url(),
        "relayed_server_url": faults.1,
        "faults_url": faults.0.url(),
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
