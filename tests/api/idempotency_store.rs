//! The idempotency store against a real Redis: claims are owned, renewed, and survive the
//! loss of their key.

use std::time::Duration;

use urssaf_gateway::config::Settings;
use urssaf_gateway::idempotency::{fingerprint, Begin, IdempotencyStore, StoredAnswer};
use urssaf_gateway::metrics::Metrics;
use urssaf_gateway::redis_store::RedisStore;

use crate::helpers::{Hold, Mode};
use crate::redis_modes::in_every_mode;
use crate::test_redis::{redis_addr, ChaosProxy};

/// The tenant's hash tag the records are filed under.
const TAG: &str = "embedded:0123456789abcdef01234567";

fn store(mode: Mode, prefix: &str) -> IdempotencyStore {
    store_with(mode, prefix, &[])
}

fn store_with(mode: Mode, prefix: &str, settings: &[(&str, &str)]) -> IdempotencyStore {
    let mut vars: Vec<(String, String)> = mode
        .settings()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    let ours = [
        ("GATEWAY__REDIS__TIMEOUT_MS", "500"),
        ("GATEWAY__REDIS__RETRY_AFTER_MS", "200"),
        ("GATEWAY__REDIS__KEY_PREFIX", prefix),
    ];
    for (k, v) in ours.iter().chain(settings) {
        vars.push((k.to_string(), v.to_string()));
    }
    let settings = Settings::load_from(None, vars).expect("settings");
    let redis = RedisStore::new(&settings.redis, Metrics::new()).expect("redis client");
    assert!(redis.is_some());
    IdempotencyStore::new(redis, Duration::from_secs(60), Duration::from_secs(2))
}

/// A store under a key prefix of its own, in `mode`: (its hold on the topology, prefix,
/// store, the fingerprint of `{}`).
async fn fresh_store(mode: Mode) -> (Hold, String, IdempotencyStore, String) {
    let hold = mode.hold(false).await;
    let prefix = format!("test-{}", uuid::Uuid::new_v4().simple());
    let s = store(mode, &prefix);
    (hold, prefix, s, fingerprint(b"{}"))
}

in_every_mode!(
    a_claim_lost_from_redis_is_written_again_and_its_answer_kept,
    lost_claim_written_again
);
async fn lost_claim_written_again(mode: Mode) {
    let (_hold, prefix, s, fp) = fresh_store(mode).await;
    let Begin::Fresh(claim) = s.begin(TAG, "t", "k", fp.clone()).await else {
        panic!("fresh")
    };
    let mut redis = mode.inspect().await;
    let keys = redis.keys(&format!("{prefix}:*")).await;
    assert_eq!(keys.len(), 1);
    // The layout: `<prefix>:{<tenant tag>}:idem:<scope>:<SHA-256 of the key>`.
    let layout = format!("{prefix}:{{{TAG}}}:idem:t:");
    assert!(keys[0].starts_with(&layout), "{keys:?}");
    // Evicted while the request runs: renewing puts the claim back, so duplicates still wait.
    redis.del(&keys[0]).await;
    s.renew(&claim).await;
    let other = store(mode, &prefix);
    assert!(matches!(
        other.begin(TAG, "t", "k", fp.clone()).await,
        Begin::InFlight
    ));
    // Lost again before the end: the answer is written anyway and replayed everywhere.
    redis.del(&keys[0]).await;
    s.complete(
        claim,
        StoredAnswer {
            status: 200,
            body: "{}".into(),
            location: None,
        },
    )
    .await;
    match other.begin(TAG, "t", "k", fp).await {
        Begin::Replay(a) => assert_eq!(a.status, 200),
        b => panic!("{b:?}"),
    }
}

in_every_mode!(only_the_owner_releases_a_claim, only_the_owner_releases);
async fn only_the_owner_releases(mode: Mode) {
    let (_hold, _, s, fp) = fresh_store(mode).await;
    let Begin::Fresh(first) = s.begin(TAG, "t", "k", fp.clone()).await else {
        panic!("fresh")
    };
    // The first claim expires (2 s) and another run claims the key.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let Begin::Fresh(second) = s.begin(TAG, "t", "k", fp.clone()).await else {
        panic!("fresh again")
    };
    // The first run ends late: its release must not free the second run's claim.
    s.release(first).await;
    assert!(matches!(
        s.begin(TAG, "t", "k", fp.clone()).await,
        Begin::InFlight
    ));
    s.release(second).await;
    assert!(matches!(s.begin(TAG, "t", "k", fp).await, Begin::Fresh(_)));
}

/// An answer decided while Redis was away reaches Redis once it is back: another replica then
/// replays it instead of seeing the key in flight.
#[tokio::test]
async fn an_answer_kept_while_redis_is_away_is_written_when_it_is_back() {
    let (_hold, prefix, other, fp) = fresh_store(Mode::Standalone).await;
    let proxy = ChaosProxy::start(redis_addr()).await;
    let url = format!("redis://{}", proxy.addr);
    let s = store_with(Mode::Standalone, &prefix, &[("GATEWAY__REDIS__URL", &url)]);
    let Begin::Fresh(claim) = s.begin(TAG, "t", "k", fp.clone()).await else {
        panic!("fresh")
    };
    proxy.cut();
    let answer = StoredAnswer {
        status: 200,
        body: "{}".into(),
        location: None,
    };
    s.complete(claim, answer).await;
    // Here the answer is known; elsewhere the key is still in flight.
    assert!(matches!(
        s.begin(TAG, "t", "k", fp.clone()).await,
        Begin::Replay(_)
    ));
    assert!(matches!(
        other.begin(TAG, "t", "k", fp.clone()).await,
        Begin::InFlight
    ));
    proxy.restore().await;
    let deadline = std::time::Instant::now() + Duration::from_secs(3);
    loop {
        match other.begin(TAG, "t", "k", fp.clone()).await {
            Begin::Replay(a) => break assert_eq!(a.status, 200),
            Begin::InFlight if std::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await
            }
            b => panic!("{b:?}"),
        }
    }
}
