//! The circuit breaker and the retry budget against the simulator's fault knobs: what opens it,
//! what does not, how many trial calls go through when half-open. No assertion on how long
//! anything takes; waits are polls with generous limits.

use std::time::Duration;

use serde_json::json;

use crate::helpers::*;

/// A gateway in front of the simulator, with a registered client whose status it reads.
struct Rig {
    app: TestApp,
    path: String,
}

async fn rig(settings: &[(&str, &str)]) -> Rig {
    let mut builder = TestApp::builder().tenants(&[&TENANT_A]);
    for (k, v) in settings {
        builder = builder.setting(k, v);
    }
    let (app, id) = builder.start_with_client().await;
    let rig = Rig {
        app,
        path: format!("/v1/clients/{id}"),
    };
    // A first read: the token is cached before any fault is set.
    assert_eq!(rig.read().await, 200);
    rig
}

impl Rig {
    /// Reads until the breaker opens (at most `limit` reads); each answered 503.
    async fn read_until_open(&self, limit: usize) {
        for _ in 0..limit {
            assert_eq!(self.read().await, 503);
            if self.state() == "open" {
                return;
            }
        }
        panic!("not open after {limit} failed reads");
    }

    async fn faults(&self, v: serde_json::Value) {
        self.app.faults(v).await;
    }

    async fn read(&self) -> u16 {
        self.app
            .gw()
            .get("alpha", &self.path)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    /// The `state` label whose series is 1 (closed, half_open, open); the others are 0.
    fn state(&self) -> &'static str {
        let host = self.app.sim_url.trim_start_matches("http://");
        let family = &self.app.gw().metrics.urssaf_breaker_state;
        let on: Vec<&str> = ["closed", "half_open", "open"]
            .into_iter()
            .filter(|s| family.with_label_values(&[host, s]).get() == 1)
            .collect();
        assert_eq!(on.len(), 1, "exactly one state is 1: {on:?}");
        on[0]
    }

    fn calls(&self, outcome: &str) -> u64 {
        self.app.gw().upstream_calls("client_status", outcome)
    }
}

#[tokio::test]
async fn partial_failure_that_retries_absorb_does_not_open_it_a_high_rate_does() {
    let rig = rig(&[
        ("GATEWAY__UPSTREAM__BREAKER_MIN_CALLS", "5"),
        ("GATEWAY__UPSTREAM__BREAKER_WINDOW_SECONDS", "2"),
    ])
    .await;
    // 30 % of attempts fail: with retries, a call almost never does; the breaker stays closed.
    rig.faults(json!({"error_503_rate": 0.3})).await;
    let mut ok = 0;
    for _ in 0..40 {
        ok += u32::from(rig.read().await == 200);
    }
    assert!(ok >= 38, "{ok} of 40 reads answered");
    assert!(rig.calls("server_error") > 0, "Urssaf did fail attempts");
    assert_eq!((rig.state(), rig.calls("breaker_open")), ("closed", 0));
    // Every attempt fails: once failed calls are half of the window's, it opens (the
    // successes above leave the 2 s window meanwhile) and calls fail fast.
    rig.faults(json!({"error_503_rate": 1.0})).await;
    rig.read_until_open(200).await;
    let attempts = rig.calls("server_error");
    assert_eq!(rig.read().await, 503);
    assert_eq!(
        rig.calls("server_error"),
        attempts,
        "no attempt reached Urssaf"
    );
    assert_eq!(rig.calls("breaker_open"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_open_lets_the_configured_trials_through_without_waiting_for_traffic() {
    let rig = rig(&[
        ("GATEWAY__UPSTREAM__BREAKER_MIN_CALLS", "3"),
        ("GATEWAY__UPSTREAM__BREAKER_OPEN_SECONDS", "1"),
        ("GATEWAY__UPSTREAM__BREAKER_HALF_OPEN_CALLS", "3"),
        ("GATEWAY__UPSTREAM__MAX_RETRIES", "0"),
    ])
    .await;
    rig.faults(json!({"error_503_rate": 1.0})).await;
    rig.read_until_open(10).await;
    // Urssaf answers again, slowly, so that trial calls are still out when the others arrive.
    rig.faults(json!({"latency_ms": 3000})).await;
    // Half-open when the open period is over, with no call at all meanwhile.
    let mut polls = 0;
    while rig.state() != "half_open" {
        polls += 1;
        assert!(polls < 100, "half-open within 10 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let refused = rig.calls("breaker_open");
    let reads = (0..6).map(|_| rig.read());
    let mut statuses = futures_util::future::join_all(reads).await;
    statuses.sort_unstable();
    assert_eq!(
        statuses,
        [200, 200, 200, 503, 503, 503],
        "3 trials, 3 refused"
    );
    assert_eq!(rig.calls("breaker_open") - refused, 3);
    assert_eq!(rig.state(), "closed", "the trials closed it");
    rig.faults(json!({})).await;
    assert_eq!(rig.read().await, 200);
}

#[tokio::test]
async fn a_spent_retry_budget_stops_retries() {
    let rig = rig(&[
        ("GATEWAY__UPSTREAM__RETRY_BUDGET_PERCENT", "0"),
        ("GATEWAY__UPSTREAM__RETRY_BUDGET_MIN_PER_SECOND", "0"),
    ])
    .await;
    rig.faults(json!({"error_503_rate": 1.0})).await;
    assert_eq!(rig.read().await, 503);
    assert_eq!(rig.calls("server_error"), 1, "one attempt, no retry");
    let refused = rig
        .app
        .gw()
        .metrics
        .urssaf_retries
        .with_label_values(&["client_status", "budget_exhausted"])
        .get();
    assert_eq!(refused, 1);
}
