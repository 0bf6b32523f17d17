//! Urssaf tokens: fetched once, shared through Redis, refreshed ahead of expiry, replaced
//! after a 401, and never a failed call because Redis is down.

use std::time::{Duration, Instant};

use futures_util::future::join_all;

use crate::helpers::*;
use crate::test_redis::*;

/// Tenant A alone.
fn tenant_a() -> TestAppBuilder {
    TestApp::builder().tenants(&[&TENANT_A])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cold_gateway_fetches_one_token_for_200_concurrent_calls() {
    let app = tenant_a().redis().start().await;
    let id = app.register_at_simulator(&TENANT_A).await;
    let before = app.sim().token_requests();
    let gw = app.gw();
    let calls = (0..200).map(|_| gw.client_status("alpha", &id));
    let statuses = join_all(calls).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(app.sim().token_requests() - before, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_replicas_sharing_redis_fetch_one_token() {
    // Same key prefix for the three: they are replicas of one deployment.
    let app = tenant_a().redis().replicas(3).start().await;
    let id = app.register_at_simulator(&TENANT_A).await;
    let before = app.sim().token_requests();
    let gws = app.gateways();
    let calls = (0..300).map(|i| gws[i % 3].client_status("alpha", &id));
    let statuses = join_all(calls).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(app.sim().token_requests() - before, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn short_lived_tokens_are_refreshed_before_they_expire() {
    let app = tenant_a()
        .simulator(|s| s.token_lifetime = Duration::from_secs(3))
        .redis()
        .replicas(2)
        .start()
        .await;
    let id = app.register_at_simulator(&TENANT_A).await;
    let before = app.sim().token_requests();
    let gws = app.gateways();
    let started = Instant::now();
    let mut calls = 0;
    while started.elapsed() < Duration::from_secs(8) {
        let round = join_all((0..4).map(|i| gws[i % 2].client_status("alpha", &id))).await;
        assert!(round.iter().all(|s| *s == 200), "{round:?}");
        calls += round.len();
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Refreshed ahead of expiry: Urssaf never saw an expired token (no 401 at all).
    for gw in gws {
        let rejected = gw.upstream_calls("client_status", "rejected");
        assert_eq!(rejected, 0, "a call met an expired token");
    }
    let fetched = app.sim().token_requests() - before;
    // 8 s of 3 s tokens refreshed at half-life: about 5 fetches shared by both replicas.
    assert!(
        (3..=8).contains(&fetched),
        "{fetched} token requests for {calls} calls"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn calls_keep_working_while_redis_is_away_and_use_it_again_when_back() {
    require_redis().await;
    let proxy = ChaosProxy::start(redis_addr()).await;
    let redis = format!("redis://{}", proxy.addr);
    let app = tenant_a()
        .redis_at(&redis)
        .setting("GATEWAY__REDIS__RETRY_AFTER_MS", "200")
        .start()
        .await;
    let id = app.register_at_simulator(&TENANT_A).await;
    let first = app.gw();
    assert_eq!(first.client_status("alpha", &id).await, 200);
    let after_first = app.sim().token_requests();

    proxy.cut();
    // The warm replica serves from memory; a cold one fetches directly. No call fails.
    let cold = app.replica().await;
    for gw in [first, &cold] {
        for _ in 0..10 {
            assert_eq!(gw.client_status("alpha", &id).await, 200);
        }
    }
    assert!(cold.metrics.render().contains("gateway_redis_errors_total"));
    assert_eq!(
        app.sim().token_requests() - after_first,
        1,
        "the cold replica fetched its own token"
    );

    proxy.restore().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    // A new replica finds the shared token in Redis again: no new token request.
    let later = app.replica().await;
    assert_eq!(later.client_status("alpha", &id).await, 200);
    assert_eq!(app.sim().token_requests() - after_first, 1);
    let hits = later
        .metrics
        .token_lookups
        .with_label_values(&["redis", "hit"])
        .get();
    assert_eq!(hits, 1);
}

#[tokio::test]
async fn credentials_can_go_as_http_basic() {
    let app = tenant_a()
        .setting("GATEWAY__UPSTREAM__TOKEN_AUTH", "basic")
        .start()
        .await;
    let id = app.register_at_simulator(&TENANT_A).await;
    let gw = app.gw();
    assert_eq!(gw.client_status("alpha", &id).await, 200);
    let fetched = gw.metrics.token_fetches.with_label_values(&["ok"]).get();
    assert_eq!(fetched, 1);
}

#[tokio::test]
async fn wrong_urssaf_credentials_are_a_502_naming_the_cause() {
    let app = tenant_a()
        .simulator(|s| s.credentials = vec![(A.0.into(), "another-secret".into())])
        .start()
        .await;
    let gw = app.gw();
    let resp = gw.get("alpha", "/v1/clients/abc").send().await.unwrap();
    assert_eq!(resp.status(), 502);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["code"], "upstream_auth_failed");
    assert!(body["hint"]
        .as_str()
        .unwrap()
        .contains("client id and secret"));
    assert_eq!(
        gw.metrics
            .token_fetches
            .with_label_values(&["refused"])
            .get(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_in_redis_can_be_encrypted() {
    let key = "ab".repeat(32);
    let app = tenant_a()
        .redis()
        .setting("GATEWAY__TOKEN__ENCRYPTION_KEY", &key)
        .start()
        .await;
    let id = app.register_at_simulator(&TENANT_A).await;
    let prefix = app.setting_value("GATEWAY__REDIS__KEY_PREFIX").unwrap();
    let before = app.sim().token_requests();
    assert_eq!(app.gw().client_status("alpha", &id).await, 200);

    let client = redis::Client::open(redis_url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let stored_keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}:token:*"))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(stored_keys.len(), 1);
    let value: String = redis::cmd("GET")
        .arg(&stored_keys[0])
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(
        value.starts_with("v1.") && !value.contains("access_token"),
        "{value}"
    );

    // A replica with the same key reads it; one with another key cannot and fetches its own.
    let same = app.replica().await;
    assert_eq!(same.client_status("alpha", &id).await, 200);
    assert_eq!(app.sim().token_requests() - before, 1);
    let other_key = "cd".repeat(32);
    let other = app
        .replica_with(&[("GATEWAY__TOKEN__ENCRYPTION_KEY", &other_key)])
        .await;
    assert_eq!(other.client_status("alpha", &id).await, 200);
    assert_eq!(app.sim().token_requests() - before, 2);
}
