//! Webhook deliveries shared by replicas through Redis, failures and the API around them.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::Value;
use urssaf_gateway::config::Settings;
use urssaf_gateway::startup::Application;

use crate::helpers::TENANT_A;
use crate::webhooks::{
    delivery, message, verifies, wait_for, wait_status, with_webhook, Receiver, Reply, SECRET,
};

#[tokio::test]
async fn two_replicas_deliver_each_message_once() {
    let receiver = Receiver::start(|_| Reply::Status(200));
    let app = with_webhook(&receiver, "1")
        .redis()
        .replicas(2)
        .start()
        .await;
    let [a, b] = app.gateways() else {
        panic!("two replicas")
    };
    let n = 40;
    for i in 0..n {
        let m = message(&format!("evt_{i}"));
        // Both replicas detect the same change: each enqueues it.
        let (x, y) = tokio::join!(
            a.deliveries.enqueue(TENANT_A.id, m.clone()),
            b.deliveries.enqueue(TENANT_A.id, m)
        );
        x.unwrap();
        y.unwrap();
    }
    wait_for("every message", Duration::from_secs(10), || {
        receiver.got().len() >= n
    })
    .await;
    // Time for a duplicate to show up, if there were one.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = receiver.got();
    let mut per_id: HashMap<String, usize> = HashMap::new();
    for r in &got {
        assert!(verifies(r, SECRET));
        *per_id.entry(r.id.clone()).or_default() += 1;
    }
    assert_eq!(per_id.len(), n);
    assert!(per_id.values().all(|c| *c == 1), "{per_id:?}");
    let by = |gw: &crate::helpers::Gateway| {
        gw.metrics
            .webhook_deliveries
            .with_label_values(&["delivered"])
            .get()
    };
    assert_eq!(by(a) + by(b), n as u64);
    println!(
        "two replicas: {} by the first, {} by the second",
        by(a),
        by(b)
    );
    // Either replica answers for any delivery.
    let d = wait_status(b, "evt_0", "delivered", Duration::from_secs(2)).await;
    assert_eq!(d["attempts"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_replica_killed_mid_delivery_is_taken_over() {
    let receiver = Receiver::start(|n| {
        if n == 0 {
            Reply::Hang
        } else {
            Reply::Status(200)
        }
    });
    let app = with_webhook(&receiver, "1")
        .redis()
        .setting("GATEWAY__EVENTS__WEBHOOK_TIMEOUT_SECONDS", "2")
        .setting("GATEWAY__EVENTS__WEBHOOK_VISIBILITY_SECONDS", "3")
        .start()
        .await;
    let first = app.gw();
    first
        .deliveries
        .enqueue(TENANT_A.id, message("evt_kill"))
        .await
        .unwrap();
    wait_for("the first attempt", Duration::from_secs(5), || {
        receiver.got().len() == 1
    })
    .await;
    first.kill().await;
    let killed_at = std::time::Instant::now();
    let second = app.replica().await;
    let d = wait_status(&second, "evt_kill", "delivered", Duration::from_secs(10)).await;
    let took_over = killed_at.elapsed();
    let got = receiver.got();
    assert_eq!(got.len(), 2);
    assert!(got
        .iter()
        .all(|r| r.id == "evt_kill" && verifies(r, SECRET)));
    // The killed replica never recorded its attempt: one attempt, the second replica's.
    assert_eq!(d["attempts"].as_array().unwrap().len(), 1);
    assert!(
        took_over >= Duration::from_secs(1),
        "not before the visibility timeout"
    );
    println!("taken over {took_over:?} after the kill (visibility 3 s)");
}

#[tokio::test]
async fn private_targets_are_refused_unless_allowed() {
    let receiver = Receiver::start(|_| Reply::Status(200));
    // A name resolving to loopback, over https: refused when resolved, at each attempt.
    let url = format!("https://localhost:{}/hooks", receiver.port());
    let app = with_webhook(&receiver, "0")
        .setting("GATEWAY__TENANTS__ALPHA__WEBHOOK_URL", &url)
        .setting("GATEWAY__EVENTS__ALLOW_PRIVATE_TARGETS", "false")
        .start()
        .await;
    let gw = app.gw();
    gw.deliveries
        .enqueue(TENANT_A.id, message("evt_private"))
        .await
        .unwrap();
    let d = wait_status(gw, "evt_private", "failed", Duration::from_secs(5)).await;
    let attempts = d["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 2);
    for a in attempts {
        assert_eq!(a["status_code"], Value::Null);
        let e = a["error"].as_str().unwrap();
        assert!(e.contains("loopback") && !e.contains("/hooks"), "{e}");
    }
    assert!(receiver.got().is_empty());
    // A literal metadata address stops the gateway at start, with one line naming it.
    let mut vars = app.gateway_env().to_vec();
    vars.retain(|(k, _)| k != "GATEWAY__TENANTS__ALPHA__WEBHOOK_URL");
    vars.push((
        "GATEWAY__TENANTS__ALPHA__WEBHOOK_URL".into(),
        "https://169.254.169.254/latest/meta-data".into(),
    ));
    let settings = Settings::load_from(None, vars).unwrap();
    let problems = Application::build(settings)
        .await
        .err()
        .expect("refused")
        .lines();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].starts_with("tenants.alpha.webhook_url: 169.254.169.254 is a link-local"));
}

#[tokio::test]
async fn failed_deliveries_are_listed_and_redelivered() {
    let receiver = Receiver::start(|n| Reply::Status(if n < 2 { 503 } else { 200 }));
    let app = with_webhook(&receiver, "0").redis().start().await;
    let gw = app.gw();
    gw.deliveries
        .enqueue(TENANT_A.id, message("evt_failed"))
        .await
        .unwrap();
    wait_status(gw, "evt_failed", "failed", Duration::from_secs(5)).await;
    let listed: Value = gw
        .get(TENANT_A.id, "/v1/webhook-deliveries?status=failed&limit=10")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let list = listed["deliveries"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{listed}");
    assert_eq!(list[0]["id"], "evt_failed");
    assert_eq!(list[0]["attempts"].as_array().unwrap().len(), 2);
    let failed = gw
        .metrics
        .webhook_deliveries
        .with_label_values(&["failed"])
        .get();
    assert_eq!(failed, 1);

    let r = gw
        .post(TENANT_A.id, "/v1/webhook-deliveries/evt_failed/redeliver")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let d = wait_status(gw, "evt_failed", "delivered", Duration::from_secs(5)).await;
    let codes: Vec<_> = d["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status_code"].clone())
        .collect();
    assert_eq!(codes, [503, 503, 200]);
    let got = receiver.got();
    assert_eq!(got.len(), 3);
    assert!(got.iter().all(|r| r.id == "evt_failed"));
    // Nothing failed any more; unknown ids are 404.
    let listed: Value = gw
        .get(TENANT_A.id, "/v1/webhook-deliveries")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["deliveries"], serde_json::json!([]));
    let r = gw
        .post(TENANT_A.id, "/v1/webhook-deliveries/evt_nope/redeliver")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let (code, _) = delivery(gw, "evt_failed").await;
    assert_eq!(code, 200);
}

#[tokio::test]
async fn a_hanging_receiver_slows_neither_the_api_nor_other_tenants() {
    let hanging = Receiver::start(|_| Reply::Hang);
    let fine = Receiver::start(|_| Reply::Status(200));
    let app = with_webhook(&hanging, "60")
        .redis()
        .setting("GATEWAY__TENANTS__BETA__WEBHOOK_URL", &fine.url)
        .setting("GATEWAY__TENANTS__BETA__WEBHOOK_SECRET", SECRET)
        .setting("GATEWAY__EVENTS__WEBHOOK_MAX_CONCURRENT", "2")
        .start()
        .await;
    let gw = app.gw();
    for i in 0..10 {
        gw.deliveries
            .enqueue(TENANT_A.id, message(&format!("evt_slow_{i}")))
            .await
            .unwrap();
    }
    wait_for("tenant A's capped attempts", Duration::from_secs(5), || {
        hanging.got().len() == 2
    })
    .await;
    let started = std::time::Instant::now();
    for i in 0..10 {
        gw.deliveries
            .enqueue("beta", message(&format!("evt_fast_{i}")))
            .await
            .unwrap();
    }
    wait_for("tenant B's deliveries", Duration::from_secs(5), || {
        fine.got().len() == 10
    })
    .await;
    let b_took = started.elapsed();
    let api = std::time::Instant::now();
    let r = gw
        .get(
            TENANT_A.id,
            "/v1/webhook-deliveries?status=pending&limit=100",
        )
        .send()
        .await
        .unwrap();
    let api_took = api.elapsed();
    assert_eq!(r.status(), 200);
    let pending: Value = r.json().await.unwrap();
    assert_eq!(pending["deliveries"].as_array().unwrap().len(), 10);
    // Only `webhook_max_concurrent` of A's attempts are in flight; the others wait their turn.
    assert_eq!(hanging.got().len(), 2);
    assert!(b_took < Duration::from_secs(2), "{b_took:?}");
    println!("tenant B: 10 deliveries in {b_took:?} while A's receiver hangs; A's listing in {api_took:?}");
}

#[tokio::test]
async fn deliveries_work_on_a_redis_cluster() {
    let receiver = Receiver::start(|n| Reply::Status(if n == 0 { 500 } else { 200 }));
    let app = with_webhook(&receiver, "0")
        .redis_mode(crate::helpers::Mode::Cluster)
        .replicas(2)
        .start()
        .await;
    let gw = app.gw();
    gw.deliveries
        .enqueue(TENANT_A.id, message("evt_cluster"))
        .await
        .unwrap();
    app.gateways()[1]
        .deliveries
        .enqueue(TENANT_A.id, message("evt_cluster"))
        .await
        .unwrap();
    let d = wait_status(gw, "evt_cluster", "delivered", Duration::from_secs(10)).await;
    assert_eq!(d["attempts"].as_array().unwrap().len(), 2);
    assert_eq!(receiver.got().len(), 2);
}

#[tokio::test]
async fn a_stopped_replicas_consumer_is_forgotten() {
    let receiver = Receiver::start(|_| Reply::Status(200));
    let app = with_webhook(&receiver, "1")
        .redis()
        .setting("GATEWAY__EVENTS__WEBHOOK_TIMEOUT_SECONDS", "1")
        .setting("GATEWAY__EVENTS__WEBHOOK_VISIBILITY_SECONDS", "2")
        .start()
        .await;
    let stream = app.redis_key("alpha", "wh:stream");
    let mut redis = crate::test_redis::redis_connection().await;
    delivered(&app, &receiver, "evt_consumers", 1).await;
    // What a replica stopped for good leaves in the tenant's group: a consumer of its own.
    let created: i64 = redis::cmd("XGROUP")
        .arg("CREATECONSUMER")
        .arg(&stream)
        .arg("webhooks")
        .arg("gw-stopped-replica")
        .query_async(&mut redis)
        .await
        .expect("consumer created");
    assert_eq!(created, 1);
    async fn consumers(redis: &mut redis::aio::MultiplexedConnection, stream: &str) -> String {
        let all: Vec<Vec<redis::Value>> = redis::cmd("XINFO")
            .arg("CONSUMERS")
            .arg(stream)
            .arg("webhooks")
            .query_async(redis)
            .await
            .expect("consumers");
        format!("{all:?}")
    }
    // Forgotten once idle for twice the visibility (4 s), at the worker's next clean-up.
    let start = std::time::Instant::now();
    while consumers(&mut redis, &stream)
        .await
        .contains("gw-stopped-replica")
    {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "the stopped replica's consumer is still in the group"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        start.elapsed() >= Duration::from_secs(3),
        "forgotten before it was idle"
    );
    // Deliveries go on.
    delivered(&app, &receiver, "evt_consumers_2", 2).await;
}

/// Enqueues `id` for tenant A on the first gateway; waits until the receiver has `count`.
async fn delivered(app: &crate::helpers::TestApp, receiver: &Receiver, id: &str, count: usize) {
    app.gw()
        .deliveries
        .enqueue(TENANT_A.id, message(id))
        .await
        .unwrap();
    wait_for(id, Duration::from_secs(5), || receiver.got().len() == count).await;
}
