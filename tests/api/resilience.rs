//! Upstream trouble and odd input degrade into clear answers: 401 → new token, retries,
//! Retry-After, problems for framework errors, metrics on their own port.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;

use crate::fixtures::*;
use crate::helpers::*;
use crate::redis_modes::in_every_mode;

in_every_mode!(
    an_upstream_401_purges_refreshes_and_retries_once,
    purges_refreshes_and_retries,
    2
);
async fn purges_refreshes_and_retries(mode: Mode) {
    let (app, id) = TestApp::builder()
        .redis_mode(mode)
        .start_with_client()
        .await;
    let gw = app.gw();
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
    let app = spawn_app().await;
    app.faults(json!({"error_503_rate": 1.0})).await;
    let got = app.get("alpha", "/v1/clients/abc").await;
    assert_problem(&got, 503, "upstream_unavailable");
    assert!(got.1.contains_key("retry-after"));
    let attempts = app.gw().upstream_calls("client_status", "server_error");
    assert_eq!(attempts, 5, "first attempt and four retries");
}

#[tokio::test]
async fn an_unreachable_urssaf_is_a_503_and_a_slow_one_a_504() {
    let closed = spawn_app_without_urssaf().await;
    let got = closed.get("alpha", "/v1/clients/abc").await;
    assert_eq!(got.0, 503, "{}", got.2);
    assert!(got.1.contains_key("retry-after"));

    let builder = TestApp::builder().short_upstream_timeout();
    let (app, id) = builder.start_with_client().await;
    let path = format!("/v1/clients/{id}");
    assert_eq!(app.gw().client_status("alpha", &id).await, 200);
    app.faults(json!({"latency_ms": 600})).await;
    assert_problem(&app.get("alpha", &path).await, 504, "upstream_timeout");
}

#[tokio::test]
async fn framework_errors_are_problems_too() {
    let app = spawn_app_with_setting("GATEWAY__SERVER__MAX_BODY_BYTES", "2048").await;
    let gw = app.gw();
    let big = "x".repeat(4096);
    let long_id = format!("/v1/clients/{}", "x".repeat(60));
    let cases = [
        (
            gw.anonymous(Method::DELETE, "/v1/clients/abc")
                .bearer_auth(gw.key("alpha")),
            405u16,
        ),
        (gw.anonymous(Method::GET, "/v1/nothing-here"), 404),
        (gw.post("alpha", "/v1/payment-requests").body(big), 413),
        (gw.post("alpha", "/v1/clients").body("{not json"), 422),
        (gw.post("alpha", "/v1/clients").json(&json!([1, 2])), 422),
        (gw.get("alpha", "/v1/clients?mail=a@b.fr"), 422),
        (gw.get("alpha", &long_id), 422),
        (
            gw.post("alpha", "/v1/payment-requests/search")
                .json(&json!({})),
            422,
        ),
    ];
    for (req, status) in cases {
        let (s, h, body) = read(req.send().await.expect("gateway answers")).await;
        assert_eq!((s, content_type(&h)), (status, "application/problem+json"));
        assert_eq!(body["status"], status);
        assert!(
            body["code"].is_string() && body["request_id"].is_string(),
            "{body}"
        );
    }
    assert_eq!(app.sim().token_requests(), 0, "nothing reached Urssaf");
    let put = gw.anonymous(Method::PUT, "/v1/payment-requests/search");
    let resp = put.send().await.unwrap();
    assert_eq!(resp.status(), 405);
    assert_eq!(resp.headers()["allow"], "POST");
}

#[tokio::test]
async fn metrics_on_their_own_port() {
    let app = spawn_app_with_setting("GATEWAY__SERVER__METRICS_PORT", "0").await;
    let gw = app.gw();
    let metrics_port = gw.metrics_port.expect("metrics on their own port");
    assert_eq!(gw.client_status("alpha", "abc").await, 404);
    let on_api_port = gw.anonymous(Method::GET, "/metrics").send().await;
    assert_eq!(on_api_port.unwrap().status(), 404);
    let url = format!("http://127.0.0.1:{metrics_port}/metrics");
    let text = app.http.get(url).send().await.unwrap().text().await;
    let text = text.unwrap();
    for expected in [
        r#"urssaf_gateway_http_requests_total{method="GET",route="/v1/clients/{client_id}",status="404"} 1"#,
        r#"urssaf_gateway_urssaf_requests_total{operation="client_status",outcome="rejected"} 1"#,
        r#"urssaf_gateway_token_fetches_total{result="ok"} 1"#,
        r#"urssaf_gateway_token_cache_lookups_total{layer="l1",result="miss"} 1"#,
        "urssaf_gateway_urssaf_request_duration_seconds_bucket",
        // Every event type is exported at 0 before its first change.
        r#"urssaf_gateway_events_changes_detected_total{type="client.account_changed"} 0"#,
        r#"urssaf_gateway_events_changes_detected_total{type="payment_request.status_changed"} 0"#,
    ] {
        assert!(text.contains(expected), "missing {expected} in\n{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_token_endpoint_is_asked_once_not_once_per_caller() {
    let app = TestApp::builder()
        .simulator(|s| s.faults.latency_ms = 3000)
        .setting("GATEWAY__UPSTREAM__TOKEN_TIMEOUT_MS", "300")
        .start()
        .await;
    let started = Instant::now();
    let calls = (0..50).map(|_| app.gw().client_status("alpha", "abc"));
    let statuses = futures_util::future::join_all(calls).await;
    assert!(statuses.iter().all(|s| *s == 504), "{statuses:?}");
    assert_eq!(
        app.sim().token_requests(),
        1,
        "waiting callers share the failed fetch"
    );
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
}

#[tokio::test]
async fn a_failing_urssaf_opens_the_circuit_then_trial_calls_close_it() {
    let (app, id) = TestApp::builder()
        .setting("GATEWAY__UPSTREAM__BREAKER_MIN_CALLS", "3")
        .setting("GATEWAY__UPSTREAM__BREAKER_OPEN_SECONDS", "1")
        .start_with_client()
        .await;
    let gw = app.gw();
    assert_eq!(gw.client_status("alpha", &id).await, 200);
    app.faults(json!({"error_503_rate": 1.0})).await;
    let count = |outcome| gw.upstream_calls("client_status", outcome);
    // 1 call answered and 2 failed (each after its retries): 67 % of 3 calls, open.
    for _ in 0..2 {
        assert_eq!(gw.client_status("alpha", &id).await, 503);
    }
    let attempts = count("server_error");
    let fast = app.get("alpha", &format!("/v1/clients/{id}")).await;
    assert_eq!(fast.0, 503);
    assert!(fast.1.contains_key("retry-after"));
    assert_eq!(count("server_error"), attempts, "no call reached Urssaf");
    assert_eq!(count("breaker_open"), 1);
    // Urssaf is back: after the open period trial calls go through and close the circuit.
    app.faults(json!({})).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    for _ in 0..6 {
        assert_eq!(gw.client_status("alpha", &id).await, 200);
    }
    let host = app.sim_url.trim_start_matches("http://");
    let state = |s: &str| {
        gw.metrics
            .urssaf_breaker_state
            .with_label_values(&[host, s])
    };
    assert_eq!(
        (state("closed").get(), state("open").get()),
        (1, 0),
        "closed again"
    );
}
