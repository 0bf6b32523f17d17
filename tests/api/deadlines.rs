//! Deadlines on reading a request: a body that stalls gets a 408 problem, a head that stalls
//! a 408 from the HTTP layer; both close the connection.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::*;

/// Everything the gateway sends on `stream` until it closes it (or 10 s, a safety net).
async fn until_closed(stream: &mut TcpStream) -> String {
    let mut out = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut out)).await;
    assert!(read.is_ok(), "the gateway closed the connection");
    String::from_utf8_lossy(&out).into_owned()
}

async fn gateway(body_timeout_seconds: &str, header_timeout_ms: &str) -> (TestApp, u16) {
    let app = TestApp::builder()
        .tenants(&[&TENANT_A])
        .setting(
            "GATEWAY__SERVER__BODY_READ_TIMEOUT_SECONDS",
            body_timeout_seconds,
        )
        .setting("GATEWAY__SERVER__HEADER_READ_TIMEOUT_MS", header_timeout_ms)
        .start()
        .await;
    let port = app.gw().url.rsplit(':').next().unwrap().parse().unwrap();
    (app, port)
}

#[tokio::test]
async fn a_body_that_never_arrives_gets_a_408_problem() {
    let (app, port) = gateway("1", "5000").await;
    for trickle in [false, true] {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let head = format!(
            "POST /v1/payment-requests HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {}\r\n\
             Content-Type: application/json\r\nContent-Length: 100\r\n\r\n",
            app.key("alpha")
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        if trickle {
            // A few bytes, never the 100 announced.
            stream.write_all(b"{\"invoices\"").await.unwrap();
        }
        let answer = until_closed(&mut stream).await;
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        let lower = answer.to_ascii_lowercase();
        assert!(lower.contains("content-type: application/problem+json"));
        assert!(lower.contains("connection: close"));
        assert!(answer.contains(r#""code":"request_timeout""#), "{answer}");
        assert!(answer.contains(r#""request_id":""#), "{answer}");
    }
    let timeouts = app
        .gw()
        .metrics
        .http_requests
        .with_label_values(&["/v1/payment-requests", "POST", "408"])
        .get();
    assert_eq!(timeouts, 2, "logged and counted as requests");
}

#[tokio::test]
async fn a_head_that_never_ends_gets_a_408() {
    let (_app, port) = gateway("10", "300").await;
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .await
        .unwrap();
    let answer = until_closed(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
}

#[tokio::test]
async fn bodies_within_the_deadline_are_read_as_before() {
    let (app, port) = gateway("1", "5000").await;
    // Too large by its announced size: refused without being read.
    let resp = app
        .gw()
        .post("alpha", "/v1/payment-requests/search")
        .body("x".repeat(2 * 1024 * 1024))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
    // A chunked body (no Content-Length), in two parts, is read whole.
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let head = format!(
        "POST /v1/payment-requests/search HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        app.key("alpha")
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    for part in [r#"{"invoice_numbers""#, r#": ["F-1"]}"#] {
        let chunk = format!("{:x}\r\n{part}\r\n", part.len());
        stream.write_all(chunk.as_bytes()).await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stream.write_all(b"0\r\n\r\n").await.unwrap();
    let answer = until_closed(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains(r#""not_found":["F-1"]"#), "{answer}");
}
