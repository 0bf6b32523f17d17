//! The idempotency store against a real Redis: claims are owned, renewed, and survive the
//! loss of their key.

use std::time::Duration;

use urssaf_gateway::config::RedisSettings;
use urssaf_gateway::idempotency::{fingerprint, Begin, IdempotencyStore, StoredAnswer};
use urssaf_gateway::metrics::Metrics;
use urssaf_gateway::redis_store::RedisStore;

use crate::test_redis::*;

fn store(prefix: &str) -> IdempotencyStore {
    let settings = RedisSettings {
        url: Some(redis_url().into()),
        timeout_ms: 500,
        retry_after_ms: 200,
        key_prefix: prefix.into(),
    };
    let redis = RedisStore::new(&settings, Metrics::new());
    assert!(redis.is_some());
    IdempotencyStore::new(redis, Duration::from_secs(60), Duration::from_secs(2))
}

/// A store under a key prefix of its own, against the test Redis: (prefix, store, the
/// fingerprint of `{}`).
async fn fresh_store() -> (String, IdempotencyStore, String) {
    require_redis().await;
    let prefix = format!("test-{}", uuid::Uuid::new_v4().simple());
    let s = store(&prefix);
    (prefix, s, fingerprint(b"{}"))
}

#[tokio::test]
async fn a_claim_lost_from_redis_is_written_again_and_its_answer_kept() {
    let (prefix, s, fp) = fresh_store().await;
    let Begin::Fresh(claim) = s.begin("t", "k", fp.clone()).await else {
        panic!("fresh")
    };
    let mut conn = redis_conn().await;
    let keys = redis_keys(&mut conn, &format!("{prefix}:*")).await;
    assert_eq!(keys.len(), 1);
    // Evicted while the request runs: renewing puts the claim back, so duplicates still wait.
    redis_del(&mut conn, &keys[0]).await;
    s.renew(&claim).await;
    let other = store(&prefix);
    assert!(matches!(
        other.begin("t", "k", fp.clone()).await,
        Begin::InFlight
    ));
    // Lost again before the end: the answer is written anyway and replayed everywhere.
    redis_del(&mut conn, &keys[0]).await;
    s.complete(
        claim,
        StoredAnswer {
            status: 200,
            body: "{}".into(),
            location: None,
        },
    )
    .await;
    match other.begin("t", "k", fp).await {
        Begin::Replay(a) => assert_eq!(a.status, 200),
        b => panic!("{b:?}"),
    }
}

#[tokio::test]
async fn only_the_owner_releases_a_claim() {
    let (_, s, fp) = fresh_store().await;
    let Begin::Fresh(first) = s.begin("t", "k", fp.clone()).await else {
        panic!("fresh")
    };
    // The first claim expires (2 s) and another run claims the key.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let Begin::Fresh(second) = s.begin("t", "k", fp.clone()).await else {
        panic!("fresh again")
    };
    // The first run ends late: its release must not free the second run's claim.
    s.release(first).await;
    assert!(matches!(
        s.begin("t", "k", fp.clone()).await,
        Begin::InFlight
    ));
    s.release(second).await;
    assert!(matches!(s.begin("t", "k", fp).await, Begin::Fresh(_)));
}
