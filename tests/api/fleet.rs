//! Replicas on one Redis act as one gateway: a tenant's rate is the fleet's (each replica takes
//! its share from the live replica count), the periodic tenant check runs once per fleet and
//! every replica shows its result, and metrics carry no tenant label unless asked.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::helpers::*;
use crate::webhooks::wait_for;

/// Calls `GET path` on `gw` from 4 tasks for `during`: (answered 2xx, refused 429).
async fn hammer(gw: &Gateway, path: &str, during: Duration) -> (u32, u32) {
    let until = Instant::now() + during;
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let gw = gw.clone();
            let path = path.to_string();
            tokio::spawn(async move {
                let (mut ok, mut limited) = (0, 0);
                while Instant::now() < until {
                    let r = gw.get(TENANT_A.id, &path).send().await.unwrap();
                    match r.status().as_u16() {
                        200 => ok += 1,
                        429 => limited += 1,
                        s => panic!("unexpected {s}"),
                    }
                }
                (ok, limited)
            })
        })
        .collect();
    let mut sum = (0, 0);
    for t in tasks {
        let (ok, limited) = t.await.unwrap();
        sum = (sum.0 + ok, sum.1 + limited);
    }
    sum
}

fn replicas(gw: &Gateway) -> i64 {
    gw.metrics.fleet_replicas.get()
}

#[tokio::test]
async fn a_tenants_rate_is_shared_by_the_replicas_and_follows_their_count() {
    let (app, client) = TestApp::builder()
        .redis()
        .replicas(3)
        .setting("GATEWAY__LIMITS__TENANT_RATE_PER_SECOND", "20")
        .setting("GATEWAY__LIMITS__TENANT_BURST", "20")
        .start_with_client()
        .await;
    let gws = app.gateways().to_vec();
    wait_for("three live replicas", Duration::from_secs(5), || {
        gws.iter().all(|g| replicas(g) == 3)
    })
    .await;
    let path = format!("/v1/clients/{client}");
    let during = Duration::from_secs(2);
    let runs = gws.iter().map(|g| hammer(g, &path, during));
    let answered: Vec<(u32, u32)> = futures_util::future::join_all(runs).await;
    let ok: u32 = answered.iter().map(|a| a.0).sum();
    let limited: u32 = answered.iter().map(|a| a.1).sum();
    println!("three replicas, 20/s burst 20, 2 s: {ok} answered, {limited} refused {answered:?}");
    // The fleet's 20 + 20/s × 2 s = 60 (each replica alone would let 60 through: 180).
    assert!((45..=75).contains(&ok), "{ok} answered");
    assert!(limited > 0);

    // A replica killed (no goodbye): counted out once its heartbeat is stale.
    gws[2].kill().await;
    wait_for("two live replicas", Duration::from_secs(10), || {
        replicas(&gws[0]) == 2 && replicas(&gws[1]) == 2
    })
    .await;
}

#[tokio::test]
async fn without_redis_a_replica_applies_the_whole_rate() {
    let (app, client) = TestApp::builder()
        .setting("GATEWAY__LIMITS__TENANT_RATE_PER_SECOND", "20")
        .setting("GATEWAY__LIMITS__TENANT_BURST", "20")
        .start_with_client()
        .await;
    let (ok, _) = hammer(
        app.gw(),
        &format!("/v1/clients/{client}"),
        Duration::from_secs(1),
    )
    .await;
    assert_eq!(replicas(app.gw()), 1);
    assert!((35..=45).contains(&ok), "{ok} answered");
}

async fn get(url: String) -> (u16, String) {
    let r = reqwest::get(url).await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn the_tenant_check_runs_once_per_fleet_and_every_replica_shows_it() {
    let app = TestApp::builder()
        .redis()
        .replicas(3)
        .setting("GATEWAY__SERVER__METRICS_PORT", "0")
        .setting("GATEWAY__CHECK__INTERVAL_SECONDS", "1")
        .start()
        .await;
    let searches = |stats: Value| stats["searches"].as_u64().unwrap();
    let before = searches(app.admin_ok(reqwest::Method::GET, "/stats", None).await);
    tokio::time::sleep(Duration::from_secs(4)).await;
    let after = searches(app.admin_ok(reqwest::Method::GET, "/stats", None).await);
    // Two tenants, one search each per round, a round a second: about 8 in 4 s (every replica
    // checking would make 24).
    let made = after - before;
    println!("three replicas, check every 1 s, 4 s: {made} check searches");
    assert!((4..=12).contains(&made), "{made} check searches");

    for gw in app.gateways() {
        let admin = format!("http://127.0.0.1:{}", gw.metrics_port.unwrap());
        let (status, body) = get(format!("{admin}/checks")).await;
        assert_eq!(status, 200, "{body}");
        let summary: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(summary["status"], "pass");
        assert_eq!(summary["tenants"].as_array().unwrap().len(), 2);

        let (_, metrics) = get(format!("{admin}/metrics")).await;
        assert!(
            metrics.contains("urssaf_gateway_tenant_check_tenants 2"),
            "{metrics}"
        );
        assert!(
            metrics.contains("urssaf_gateway_tenant_check_failing 0"),
            "{metrics}"
        );
        assert!(metrics.contains("urssaf_gateway_webhook_pending_deliveries 0"));
        assert!(
            metrics.contains("urssaf_gateway_fleet_replicas 3"),
            "{metrics}"
        );
        // Bounded by default: no series per tenant.
        assert!(!metrics.contains("tenant=\""), "{metrics}");
        assert!(
            !metrics.contains("urssaf_gateway_tenant_check_ok"),
            "{metrics}"
        );
    }
}
