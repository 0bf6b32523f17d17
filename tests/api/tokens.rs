//! Urssaf tokens: fetched once, shared through Redis, refreshed ahead of expiry, replaced
//! after a 401, and never a failed call because Redis is down.

use std::time::{Duration, Instant};

use futures_util::future::join_all;

use crate::fixtures::*;
use crate::helpers::*;
use crate::redis_modes::in_every_mode;
use crate::test_redis::*;

in_every_mode!(
    cold_gateway_fetches_one_token_for_200_concurrent_calls,
    cold_gateway_one_token
);
async fn cold_gateway_one_token(mode: Mode) {
    let (app, id) = TestApp::builder()
        .redis_mode(mode)
        .start_with_client()
        .await;
    let before = app.sim().token_requests();
    let gw = app.gw();
    let calls = (0..200).map(|_| gw.client_status("alpha", &id));
    let statuses = join_all(calls).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(app.sim().token_requests() - before, 1);
}

in_every_mode!(
    three_replicas_sharing_redis_fetch_one_token,
    three_replicas_one_token
);
async fn three_replicas_one_token(mode: Mode) {
    // Same key prefix for the three: they are replicas of one deployment.
    let builder = TestApp::builder().redis_mode(mode).replicas(3);
    let (app, id) = builder.start_with_client().await;
    let before = app.sim().token_requests();
    let gws = app.gateways();
    let calls = (0..300).map(|i| gws[i % 3].client_status("alpha", &id));
    let statuses = join_all(calls).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(app.sim().token_requests() - before, 1);
    for gw in gws {
        assert_eq!(
            gw.metrics.redis_errors.get(),
            0,
            "Redis answered every command"
        );
    }
}

in_every_mode!(
    short_lived_tokens_are_refreshed_before_they_expire,
    refreshed_before_expiry
);
async fn refreshed_before_expiry(mode: Mode) {
    let (app, id) = TestApp::builder()
        .simulator(|s| s.token_lifetime = Duration::from_secs(3))
        .redis_mode(mode)
        .replicas(2)
        .start_with_client()
        .await;
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
    let (app, id) = TestApp::builder()
        .redis_at(&redis)
        .setting("GATEWAY__REDIS__RETRY_AFTER_MS", "200")
        .start_with_client()
        .await;
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
    assert!(cold
        .metrics
        .render()
        .contains("urssaf_gateway_redis_errors_total"));
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
    let (app, id) = TestApp::builder()
        .setting("GATEWAY__UPSTREAM__TOKEN_AUTH", "basic")
        .start_with_client()
        .await;
    assert_eq!(app.gw().client_status("alpha", &id).await, 200);
    assert_eq!(app.gw().token_fetches("ok"), 1);
}

#[tokio::test]
async fn wrong_urssaf_credentials_are_a_502_naming_the_cause() {
    let app = spawn_app_with(|s| s.credentials = vec![(A.0.into(), "another-secret".into())]).await;
    let got = app.get("alpha", "/v1/clients/abc").await;
    let body = assert_problem(&got, 502, "upstream_auth_failed");
    let hint = body["hint"].as_str().unwrap_or_default();
    assert!(hint.contains("client id and secret"), "{body}");
    assert_eq!(app.gw().token_fetches("refused"), 1);
}

in_every_mode!(tokens_in_redis_can_be_encrypted, encrypted_tokens, 2);
async fn encrypted_tokens(mode: Mode) {
    let key = "ab".repeat(32);
    let (app, id) = TestApp::builder()
        .redis_mode(mode)
        .setting("GATEWAY__TOKEN__ENCRYPTION_KEY", &key)
        .start_with_client()
        .await;
    let prefix = app.setting_value("GATEWAY__REDIS__KEY_PREFIX").unwrap();
    let before = app.sim().token_requests();
    assert_eq!(app.gw().client_status("alpha", &id).await, 200);

    let mut redis = mode.inspect().await;
    // The layout: `<prefix>:{<environment>:<digest>}:token`, the tenant's hash tag in braces.
    let stored_keys = redis.keys(&format!("{prefix}:*:token")).await;
    assert_eq!(stored_keys.len(), 1, "{stored_keys:?}");
    let tag = stored_keys[0]
        .strip_prefix(&format!("{prefix}:{{embedded:"))
        .and_then(|rest| rest.strip_suffix("}:token"))
        .unwrap_or_else(|| panic!("{stored_keys:?}"));
    assert_eq!(tag.len(), 24, "{tag}");
    let value = redis.get(&stored_keys[0]).await;
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

/// On a Cluster a tenant's keys (token, idempotency records) share one slot: the hash tag.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenants_keys_share_one_cluster_slot() {
    let app = TestApp::builder().redis_mode(Mode::Cluster).start().await;
    let client = app.active_client(TENANT_A.id).await;
    let body = serde_json::json!({ "invoices": [invoice(&client, &number("S"))] });
    assert_eq!(app.submit_with_key(TENANT_A.id, "k1", &body).await.0, 200);
    assert_eq!(app.gw().client_status("alpha", &client).await, 200);
    let prefix = app.setting_value("GATEWAY__REDIS__KEY_PREFIX").unwrap();
    let mut redis = Mode::Cluster.inspect().await;
    let keys = redis.keys(&format!("{prefix}:*")).await;
    // The fleet's own keys (replica heartbeats) share a slot of their own.
    let keys: Vec<String> = keys
        .into_iter()
        .filter(|k| !k.contains("{fleet}"))
        .collect();
    assert!(keys.iter().any(|k| k.ends_with(":token")), "{keys:?}");
    assert!(keys.iter().any(|k| k.contains(":idem:")), "{keys:?}");
    let mut slots = Vec::new();
    for k in &keys {
        slots.push(redis.slot(k).await);
    }
    slots.dedup();
    assert_eq!(slots.len(), 1, "{keys:?} in slots {slots:?}");
}
