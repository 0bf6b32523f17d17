//! Polling leases on a real Redis, in every mode: one replica holds a tenant, a stopping
//! replica gives its leases up so that another takes them at once, and a lease held by
//! another replica is never taken before it lapses.

use std::time::Duration;

use urssaf_gateway::config::Settings;
use urssaf_gateway::events::lease::Leases;
use urssaf_gateway::metrics::Metrics;
use urssaf_gateway::redis_store::RedisStore;

use crate::helpers::Mode;
use crate::redis_modes::in_every_mode;

fn redis(mode: Mode, prefix: &str) -> Option<RedisStore> {
    let mut vars: Vec<(String, String)> = mode
        .settings()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    vars.push(("GATEWAY__REDIS__KEY_PREFIX".into(), prefix.into()));
    let settings = Settings::load_from(None, vars).expect("settings");
    let store = RedisStore::new(&settings.redis, Metrics::new()).expect("redis client");
    assert!(store.is_some());
    store
}

in_every_mode!(a_stopping_replica_hands_its_leases_over_at_once, hand_over);
async fn hand_over(mode: Mode) {
    let _hold = mode.hold(false).await;
    let prefix = format!("lease-test-{}", uuid::Uuid::new_v4().simple());
    let tenants = vec!["alpha".to_string(), "beta".to_string()];
    // Lifetime long enough that only a release can free the leases within the test.
    let a = Leases::new(redis(mode, &prefix), Duration::from_secs(60));
    let b = Leases::new(redis(mode, &prefix), Duration::from_secs(60));

    a.refresh(&tenants).await;
    b.refresh(&tenants).await;
    assert!(a.holds("alpha") && a.holds("beta"));
    assert!(
        !b.holds("alpha") && !b.holds("beta"),
        "two replicas poll one tenant"
    );

    // B giving up leases it does not hold changes nothing.
    b.release_all().await;
    a.refresh(&tenants).await;
    assert!(a.holds("alpha") && a.holds("beta"));

    a.release_all().await;
    assert!(!a.holds("alpha"));
    b.refresh(&tenants).await;
    assert!(
        b.holds("alpha") && b.holds("beta"),
        "the released leases were not taken"
    );
    a.refresh(&tenants).await;
    assert!(!a.holds("alpha") && !a.holds("beta"));
}
