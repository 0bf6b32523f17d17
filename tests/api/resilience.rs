//! Upstream trouble and odd input degrade into clear answers: 401 → new token, retries,
//! Retry-After, problems for framework errors, metrics on their own port.

use crate::helpers::*;
use crate::tokens::register_at_simulator;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_401_purges_refreshes_and_retries_once() {
    require_redis().await;
    let sim = spawn_simulator(&[(TENANT_A.client_id, TENANT_A.client_secret)], |_| {});
    let (vars, keys) = gateway_vars(&sim.url, &[&TENANT_A], Some(&redis_url()));
    let gw = spawn_gateway_with(vars.clone(), keys.clone()).await;
    let id = register_at_simulator(&sim.url, TENANT_A.client_id, TENANT_A.client_secret).await;
    assert_eq!(
        gw.get("alpha", &format!("/v1/clients/{id}"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    // The simulator forgets every token: the cached one is now refused.
    let revoked = gw
        .http
        .post(format!("{}/__admin/tokens/revoke", sim.url))
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 204);
    let before = sim.sim.token_requests();
    let resp = gw
        .get("alpha", &format!("/v1/clients/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "the retried call succeeds");
    assert_eq!(sim.sim.token_requests() - before, 1, "one refresh");
    let calls = |outcome: &str| {
        gw.metrics
            .upstream_requests
            .with_label_values(&["client_status", outcome])
            .get()
    };
    assert_eq!(
        (calls("rejected"), calls("ok")),
        (1, 2),
        "one 401, then one retry"
    );
    // The refreshed token replaced the refused one in Redis too: a cold replica uses it.
    let cold = spawn_gateway_with(vars, keys).await;
    assert_eq!(
        cold.get("alpha", &format!("/v1/clients/{id}"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(sim.sim.token_requests() - before, 1);
}

#[tokio::test]
async fn reads_are_retried_then_answer_503_with_retry_after() {
    let sim = spawn_simulator(&[(TENANT_A.client_id, TENANT_A.client_secret)], |_| {});
    let gw = spawn_gateway(&sim.url, &[&TENANT_A], None).await;
    let faults = serde_json::json!({"error_503_rate": 1.0});
    gw.http
        .put(format!("{}/__admin/faults", sim.url))
        .json(&faults)
        .send()
        .await
        .unwrap();
    let resp = gw.get("alpha", "/v1/clients/abc").send().await.unwrap();
    assert_eq!(resp.status(), 503);
    assert!(resp.headers().contains_key("retry-after"));
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["code"], "upstream_unavailable");
    let attempts = gw
        .metrics
        .upstream_requests
        .with_label_values(&["client_status", "server_error"])
        .get();
    assert_eq!(attempts, 5, "first attempt and four retries");
}

#[tokio::test]
async fn an_unreachable_urssaf_is_a_503_and_a_slow_one_a_504() {
    // Nothing listens on this port.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let gw = spawn_gateway(&format!("http://{closed}"), &[&TENANT_A], None).await;
    let resp = gw.get("alpha", "/v1/clients/abc").send().await.unwrap();
    assert_eq!(resp.status(), 503);
    assert!(resp.headers().contains_key("retry-after"));

    let sim = spawn_simulator(&[(TENANT_A.client_id, TENANT_A.client_secret)], |_| {});
    let (mut vars, keys) = gateway_vars(&sim.url, &[&TENANT_A], None);
    set(&mut vars, "GATEWAY__UPSTREAM__TIMEOUT_MS", "300");
    set(&mut vars, "GATEWAY__UPSTREAM__MAX_RETRIES", "0");
    let gw = spawn_gateway_with(vars, keys).await;
    let id = register_at_simulator(&sim.url, TENANT_A.client_id, TENANT_A.client_secret).await;
    assert_eq!(
        gw.get("alpha", &format!("/v1/clients/{id}"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let faults = serde_json::json!({"latency_ms": 600});
    gw.http
        .put(format!("{}/__admin/faults", sim.url))
        .json(&faults)
        .send()
        .await
        .unwrap();
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
    let sim = spawn_simulator(&[(TENANT_A.client_id, TENANT_A.client_secret)], |_| {});
    let (mut vars, keys) = gateway_vars(&sim.url, &[&TENANT_A], None);
    set(&mut vars, "GATEWAY__SERVER__MAX_BODY_BYTES", "2048");
    let gw = spawn_gateway_with(vars, keys).await;
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
    assert_eq!(sim.sim.token_requests(), 0, "nothing reached Urssaf");
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
    let sim = spawn_simulator(&[(TENANT_A.client_id, TENANT_A.client_secret)], |_| {});
    let (mut vars, keys) = gateway_vars(&sim.url, &[&TENANT_A], None);
    set(&mut vars, "GATEWAY__SERVER__METRICS_PORT", "0");
    let settings = urssaf_gateway::config::Settings::load_from(None, vars).unwrap();
    let app = urssaf_gateway::startup::Application::build(settings)
        .await
        .unwrap();
    let (port, metrics_port) = (app.port(), app.metrics_port().unwrap());
    tokio::spawn(app.run_until_stopped());
    let http = reqwest::Client::new();
    let key = &keys["alpha"];
    let resp = http
        .get(format!("http://127.0.0.1:{port}/v1/clients/abc"))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    assert_eq!(
        http.get(format!("http://127.0.0.1:{port}/metrics"))
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
    let sim = spawn_simulator(&[(TENANT_A.client_id, TENANT_A.client_secret)], |s| {
        s.faults.latency_ms = 3000;
    });
    let (mut vars, keys) = gateway_vars(&sim.url, &[&TENANT_A], None);
    set(&mut vars, "GATEWAY__UPSTREAM__TOKEN_TIMEOUT_MS", "300");
    let gw = spawn_gateway_with(vars, keys).await;
    let started = std::time::Instant::now();
    let calls = (0..50).map(|_| gw.get("alpha", "/v1/clients/abc").send());
    let answers = futures_util::future::join_all(calls).await;
    for a in answers {
        assert_eq!(a.unwrap().status(), 504);
    }
    assert_eq!(
        sim.sim.token_requests(),
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
async fn a_failing_urssaf_opens_the_circuit_then_trial_calls_close_it() {
    let sim = spawn_simulator(&[(TENANT_A.client_id, TENANT_A.client_secret)], |_| {});
    let id = register_at_simulator(&sim.url, TENANT_A.client_id, TENANT_A.client_secret).await;
    let (mut vars, keys) = gateway_vars(&sim.url, &[&TENANT_A], None);
    set(&mut vars, "GATEWAY__UPSTREAM__BREAKER_MIN_CALLS", "3");
    set(&mut vars, "GATEWAY__UPSTREAM__BREAKER_OPEN_SECONDS", "1");
    let gw = spawn_gateway_with(vars, keys).await;
    let path = format!("/v1/clients/{id}");
    assert_eq!(gw.get("alpha", &path).send().await.unwrap().status(), 200);
    let faults = |v: serde_json::Value| {
        let req = gw.http.put(format!("{}/__admin/faults", sim.url)).json(&v);
        async move { assert!(req.send().await.unwrap().status().is_success()) }
    };
    faults(serde_json::json!({"error_503_rate": 1.0})).await;
    let count = |outcome: &str| {
        gw.metrics
            .upstream_requests
            .with_label_values(&["client_status", outcome])
            .get()
    };
    // 1 call answered and 2 failed (each after its retries): 67 % of 3 calls, open.
    for _ in 0..2 {
        assert_eq!(gw.get("alpha", &path).send().await.unwrap().status(), 503);
    }
    let attempts = count("server_error");
    let fast = gw.get("alpha", &path).send().await.unwrap();
    assert_eq!(fast.status(), 503);
    assert!(fast.headers().contains_key("retry-after"));
    assert_eq!(count("server_error"), attempts, "no call reached Urssaf");
    assert_eq!(count("breaker_open"), 1);
    let state = gw
        .metrics
        .urssaf_breaker_state
        .get_metric_with_label_values(&[sim.url.trim_start_matches("http://")]);
    assert_eq!(state.unwrap().get(), 2, "the gauge says open");
    // Urssaf is back: after the open period trial calls go through and close the circuit.
    faults(serde_json::json!({})).await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    for _ in 0..6 {
        assert_eq!(gw.get("alpha", &path).send().await.unwrap().status(), 200);
    }
    let state = gw
        .metrics
        .urssaf_breaker_state
        .get_metric_with_label_values(&[sim.url.trim_start_matches("http://")]);
    assert_eq!(state.unwrap().get(), 0, "closed again");
}
