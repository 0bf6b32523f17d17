//! A graceful stop on SIGTERM: calls in progress finish, kept-alive connections are closed.

use super::*;

#[tokio::test]
async fn sigterm_drains_then_stops_without_dropping_a_call() {
    // The binary serves tenant A in front of the test's simulator.
    let app = TestApp::builder()
        .tenants(&[&TENANT_A])
        .setting("GATEWAY__SERVER__DRAIN_SECONDS", "1")
        .setting("GATEWAY__SERVER__SHUTDOWN_TIMEOUT_SECONDS", "10")
        .no_gateway()
        .start()
        .await;
    let gw = start(app.gateway_env());
    let key = app.key(TENANT_A.id).to_string();
    let http = &app.http;
    // Make every Urssaf call slow so calls are in flight when the signal arrives.
    app.faults(serde_json::json!({"latency_ms": 1500})).await;
    let base = format!("http://127.0.0.1:{}", gw.port);
    let calls: Vec<_> = (0..20)
        .map(|_| {
            let req = http
                .get(format!("{base}/v1/clients?email=nobody@example.org"))
                .bearer_auth(&key);
            tokio::spawn(async move { req.send().await.map(|r| r.status().as_u16()) })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    sigterm(&gw);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let ready = http.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503, "not ready while draining");
    for c in calls {
        let status = c
            .await
            .unwrap()
            .expect("in-flight call completed, not dropped");
        assert_eq!(status, 404, "Urssaf's answer (no such client) came through");
    }
    let mut gw = gw;
    let exit = loop {
        if let Some(s) = gw.child.try_wait().unwrap() {
            break s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(12),
            "exited within drain + shutdown timeout"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "{exit:?}");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited for the drain period"
    );
}

/// Asks the binary to stop, as a process manager would.
pub(super) fn sigterm(gw: &Running) {
    let pid = gw.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
}

/// One request written on `stream` (kept alive); its status line and lower-cased headers.
fn exchange(stream: &mut std::net::TcpStream, path: &str) -> (String, Vec<String>) {
    use std::io::{Read, Write};
    write!(stream, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        assert_eq!(stream.read(&mut byte).unwrap(), 1, "answered");
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap().to_ascii_lowercase();
    let mut lines = head.lines().map(String::from);
    let status = lines.next().unwrap();
    let headers: Vec<String> = lines.filter(|l| !l.is_empty()).collect();
    let length: usize = headers
        .iter()
        .find_map(|h| h.strip_prefix("content-length:"))
        .map(|v| v.trim().parse().unwrap())
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).unwrap();
    (status, headers)
}

#[tokio::test]
async fn while_draining_answers_close_their_kept_alive_connection() {
    let gw = start(&[
        ("GATEWAY__SERVER__DRAIN_SECONDS", "3"),
        ("GATEWAY__SERVER__SHUTDOWN_TIMEOUT_SECONDS", "5"),
    ]);
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", gw.port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let (status, headers) = exchange(&mut stream, "/healthz");
    assert!(status.starts_with("http/1.1 200"), "{status}");
    assert!(!headers.contains(&"connection: close".to_string()));
    sigterm(&gw);
    // Wait until the gateway says it is draining (on another connection).
    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{}", gw.port);
    let started = Instant::now();
    while http
        .get(format!("{base}/readyz"))
        .send()
        .await
        .unwrap()
        .status()
        == 200
    {
        assert!(started.elapsed() < Duration::from_secs(2), "not ready soon");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // A request written on the connection kept alive from before the signal is answered, and
    // that answer closes the connection.
    let (status, headers) = exchange(&mut stream, "/healthz");
    assert!(status.starts_with("http/1.1 200"), "{status}");
    assert!(
        headers.contains(&"connection: close".to_string()),
        "{headers:?}"
    );
    let mut rest = Vec::new();
    assert_eq!(
        std::io::Read::read_to_end(&mut stream, &mut rest).unwrap(),
        0,
        "closed after it"
    );
}
