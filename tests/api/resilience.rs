//! Upstream trouble and odd input degrade into clear answers: 401 → new token, retries,
//! Retry-After, problems for framework errors, metrics on their own port.

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_401_purges_refreshes_and_retries_once() {
    let app = TestApp::builder()
        .tenants(&[&TENANT_A])
        .redis()
        .start()
        .await;
    let gw = app.gw();
    let id = app.register_at_simulator(&TENANT_A).await;
    assert_eq!(gw.client_status("alpha", &id).await, 200);
    // The simulator forgets every token: the cached one is now refused.
    app.revoke_tokens().await;
    let before = app.sim().token_requests();
    let status = gw.client_status("alpha", &id).await;
    assert_eq!(status, 200, "the retried call succeeds");
    assert_eq!(app.sim().token_requests() - before, 1, "one refresh");
    let calls = |outcome| gw.upstream_calls("client_status", outcome);
    assert_eq!(
        (calls("rejected"), calls("ok")),
        (1, 2),
        "one 401, then one retry"
    );
    // The refreshed token replaced the refused one in Redis too: a cold replica uses it.
    let cold = app.replica().await;
    assert_eq!(cold.client_status("alpha", &id).await, 200);
    assert_eq!(app.sim().token_requests() - before, 1);
}

#[tokio::test]
async fn reads_are_retried_then_answer_503_with_retry_after() {
    let app = TestApp::builder().tenants(&[&TENANT_A]).start().await;
    let gw = app.gw();
    app.faults(serde_json::json!({"error_503_rate": 1.0})).await;
    let resp = gw.get("alpha", "/v1/clients/abc").send().await.unwrap();
    assert_eq!(resp.status(), 503);
    assert!(resp.headers().contains_key("retry-after"));
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["code"], "upstream_unavailable");
    let attempts = gw.upstream_calls("client_status", "server_error");
    assert_eq!(attempts, 3, "first attempt and two retries");
}

#[tokio::test]
async fn an_unreachable_urssaf_is_a_503_and_a_slow_one_a_504() {
    let closed = TestApp::builder()
        .closed_upstream()
        .tenants(&[&TENANT_A])
        .start()
        .await;
    let resp = closed
        .gw()
        .get("alpha", "/v1/clients/abc")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 503);
    assert!(resp.headers().contains_key("retry-after"));

    let app = TestApp::builder()
        .tenants(&[&TENANT_A])
        .setting("GATEWAY__UPSTREAM__TIMEOUT_MS", "300")
        .setting("GATEWAY__UPSTREAM__MAX_RETRIES", "0")
        .start()
        .await;
    let gw = app.gw();
    let id = app.register_at_simulator(&TENANT_A).await;
    assert_eq!(gw.client_status("alpha", &id).await, 200);
    app.faults(serde_json::json!({"latency_ms": 600})).await;
    let resp = gw
        .get("alpha", &format!("/v1/clients/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 504);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["code"], "upstream_timeout");
}

#[tokio::test]
async fn framework_errors_are_problems_too() {
    let app = TestApp::builder()
        .tenants(&[&TENANT_A])
        .setting("GATEWAY__SERVER__MAX_BODY_BYTES", "2048")
        .start()
        .await;
    let gw = app.gw();
    let cases = [
        (
            gw.http
                .delete(format!("{}/v1/clients/abc", gw.url))
                .bearer_auth(gw.key("alpha")),
            405u16,
        ),
        (gw.http.get(format!("{}/v1/nothing-here", gw.url)), 404),
        (
            gw.post("alpha", "/v1/payment-requests")
                .body("x".repeat(4096)),
            413,
        ),
        (gw.post("alpha", "/v1/clients").body("{not json"), 422),
        (
            gw.post("alpha", "/v1/clients")
                .json(&serde_json::json!([1, 2])),
            422,
        ),
        (gw.get("alpha", "/v1/clients?mail=a@b.fr"), 422),
        (
            gw.get("alpha", &format!("/v1/clients/{}", "x".repeat(60))),
            422,
        ),
        (
            gw.post("alpha", "/v1/payment-requests/search")
                .json(&serde_json::json!({})),
            422,
        ),
    ];
    for (req, status) in cases {
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status().as_u16(), status);
        assert_eq!(resp.headers()["content-type"], "application/problem+json");
        let body: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(body["status"], status);
        assert!(
            body["code"].is_string() && body["request_id"].is_string(),
            "{body}"
        );
    }
    assert_eq!(app.sim().token_requests(), 0, "nothing reached Urssaf");
    let resp = gw
        .http
        .put(format!("{}/v1/payment-requests/search", gw.url))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 405);
    assert_eq!(resp.headers()["allow"], "POST");
}

#[tokio::test]
async fn metrics_on_their_own_port() {
    let app = TestApp::builder()
        .tenants(&[&TENANT_A])
        .setting("GATEWAY__SERVER__METRICS_PORT", "0")
        .start()
        .await;
    let gw = app.gw();
    let metrics_port = gw.metrics_port.expect("metrics on their own port");
    let http = &app.http;
    assert_eq!(gw.client_status("alpha", "abc").await, 404);
    assert_eq!(
        http.get(format!("{}/metrics", gw.url))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let text = http
        .get(format!("http://127.0.0.1:{metrics_port}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for expected in [
        r#"gateway_http_requests_total{method="GET",route="/v1/clients/{client_id}",status="404"} 1"#,
        r#"gateway_urssaf_requests_total{operation="client_status",outcome="rejected"} 1"#,
        r#"gateway_token_fetches_total{result="ok"} 1"#,
        r#"gateway_token_cache_lookups_total{layer="l1",result="miss"} 1"#,
        "gateway_urssaf_request_duration_seconds_bucket",
    ] {
        assert!(text.contains(expected), "missing {expected} in\n{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_token_endpoint_is_asked_once_not_once_per_caller() {
    let app = TestApp::builder()
        .simulator(|s| s.faults.latency_ms = 3000)
        .tenants(&[&TENANT_A])
        .setting("GATEWAY__UPSTREAM__TOKEN_TIMEOUT_MS", "300")
        .start()
        .await;
    let gw = app.gw();
    let started = std::time::Instant::now();
    let calls = (0..50).map(|_| gw.get("alpha", "/v1/clients/abc").send());
    let answers = futures_util::future::join_all(calls).await;
    for a in answers {
        assert_eq!(a.unwrap().status(), 504);
    }
    assert_eq!(
        app.sim().token_requests(),
        1,
        "waiting callers share the failed fetch"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_failing_urssaf_opens_the_circuit_then_one_probe_closes_it() {
    let app = TestApp::builder()
        .tenants(&[&TENANT_A])
        .setting("GATEWAY__UPSTREAM__BREAKER_FAILURES", "3")
        .setting("GATEWAY__UPSTREAM__BREAKER_OPEN_SECONDS", "1")
        .start()
        .await;
    let gw = app.gw();
    let id = app.register_at_simulator(&TENANT_A).await;
    let path = format!("/v1/clients/{id}");
    assert_eq!(gw.client_status("alpha", &id).await, 200);
    app.faults(serde_json::json!({"error_503_rate": 1.0})).await;
    let count = |outcome| gw.upstream_calls("client_status", outcome);
    // Three failed attempts (one call and its two retries) open the circuit.
    assert_eq!(gw.client_status("alpha", &id).await, 503);
    assert_eq!(count("server_error"), 3);
    let fast = gw.get("alpha", &path).send().await.unwrap();
    assert_eq!(fast.status(), 503);
    assert!(fast.headers().contains_key("retry-after"));
    assert_eq!(count("server_error"), 3, "no call reached Urssaf");
    assert_eq!(count("breaker_open"), 1);
    // Urssaf is back: after the open period one probe goes through and closes the circuit.
    app.faults(serde_json::json!({})).await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(gw.client_status("alpha", &id).await, 200);
    assert_eq!(gw.client_status("alpha", &id).await, 200);
}
