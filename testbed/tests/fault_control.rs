//! The fault proxy driven over HTTP, as the Kotlin and Swift tests drive it.

use std::sync::Arc;
use std::time::Duration;

use omni_jitsi_testbed::fault_control::FaultControl;
use omni_jitsi_testbed::fault_proxy::FaultProxy;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(10);

/// Sends `method path` to the control and returns the status line.
async fn ask(control: &FaultControl, method: &str, path: &str) -> String {
    let addr = control.url().trim_start_matches("http://").to_string();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(
            format!("{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n").as_bytes(),
        )
        .await
        .unwrap();
    let mut answer = String::new();
    timeout(WAIT, stream.read_to_string(&mut answer))
        .await
        .expect("the control answers")
        .unwrap();
    answer.lines().next().unwrap_or_default().to_string()
}

#[tokio::test]
async fn a_post_cuts_the_relayed_connections_and_unknown_requests_are_refused() {
    // An echo server behind the proxy.
    let target = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let target_port = target.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = target.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 64];
                while let Ok(n) = s.read(&mut buf).await {
                    if n == 0 || s.write_all(&buf[..n]).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    let proxy = Arc::new(FaultProxy::start(target_port).await.unwrap());
    let control = FaultControl::start(proxy.clone(), None).await.unwrap();
    let mut relayed = TcpStream::connect(("127.0.0.1", proxy.port()))
        .await
        .unwrap();
    relayed.write_all(b"ping").await.unwrap();
    let mut echo = [0u8; 4];
    timeout(WAIT, relayed.read_exact(&mut echo))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&echo, b"ping");

    assert_eq!(
        ask(&control, "GET", "/cut").await,
        "HTTP/1.1 405 Method Not Allowed"
    );
    assert_eq!(
        ask(&control, "POST", "/unplug").await,
        "HTTP/1.1 404 Not Found"
    );
    let mut rest = Vec::new();
    relayed.write_all(b"still").await.unwrap();
    let mut still = [0u8; 5];
    timeout(WAIT, relayed.read_exact(&mut still))
        .await
        .unwrap()
        .unwrap();

    assert_eq!(
        ask(&control, "POST", "/cut").await,
        "HTTP/1.1 204 No Content"
    );
    let ended = timeout(WAIT, relayed.read_to_end(&mut rest))
        .await
        .expect("the cut closes it");
    assert!(ended.is_ok_and(|n| n == 0) || rest.is_empty(), "{rest:?}");
}

#[tokio::test]
async fn bridge_faults_reach_allocated_endpoints_only() {
    let proxy = Arc::new(FaultProxy::start(9).await.unwrap());
    let bridge = Arc::new(omni_jitsi_testbed::bridge::Bridge::start().await.unwrap());
    bridge.allocate("standup", "ann1").unwrap();
    let current = Arc::new(std::sync::Mutex::new(bridge.clone()));
    let control = FaultControl::start(proxy, Some(current)).await.unwrap();

    assert_eq!(
        ask(&control, "POST", "/bridge/blackhole/standup/ann1").await,
        "HTTP/1.1 204 No Content"
    );
    assert_eq!(
        ask(&control, "POST", "/bridge/restore/standup/ann1").await,
        "HTTP/1.1 204 No Content"
    );
    for path in [
        "/bridge/blackhole/standup/bob2",
        "/bridge/kill-path/standup/ann1",
        "/bridge/unplug/standup/ann1",
        "/bridge/blackhole/standup",
    ] {
        assert_eq!(
            ask(&control, "POST", path).await,
            "HTTP/1.1 404 Not Found",
            "{path}"
        );
    }
    let without = FaultControl::start(Arc::new(FaultProxy::start(9).await.unwrap()), None)
        .await
        .unwrap();
    assert_eq!(
        ask(&without, "POST", "/bridge/blackhole/standup/ann1").await,
        "HTTP/1.1 404 Not Found"
    );
}
