//! Events pushed to webhooks, end to end: a status moved on the simulator's admin API is
//! found by the poller, enters the feed, and reaches a real receiver signed, once, with the
//! feed's event id as `webhook-id`; in every Redis mode, and with two replicas.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::fixtures::{invoice, number};
use crate::helpers::{text, Mode, TestApp, TestAppBuilder, TENANT_A};
use crate::redis_modes::in_every_mode;
use crate::webhooks::{verifies, wait_for, Receiver, Reply, SECRET};

fn watching_with_webhook(receiver: &Receiver) -> TestAppBuilder {
    TestApp::builder()
        .tenants(&[&TENANT_A])
        .setting("GATEWAY__EVENTS__ENABLED", "true")
        .setting("GATEWAY__EVENTS__POLL_INTERVAL_SECONDS", "1")
        .setting("GATEWAY__EVENTS__LEASE_SECONDS", "3")
        .setting("GATEWAY__TENANTS__ALPHA__WEBHOOK_URL", &receiver.url)
        .setting("GATEWAY__TENANTS__ALPHA__WEBHOOK_SECRET", SECRET)
        .setting("GATEWAY__EVENTS__WEBHOOK_POLL_MS", "50")
}

/// The deliveries the receiver got for payment request `id` now in Urssaf status `code`.
fn deliveries_of(receiver: &Receiver, id: &str, code: &str) -> Vec<(String, Value, bool)> {
    receiver
        .got()
        .iter()
        .filter_map(|r| {
            let body: Value = serde_json::from_slice(&r.body).ok()?;
            (body["data"]["id"] == id && body["data"]["status"]["urssaf_code"] == code)
                .then(|| (r.id.clone(), body, verifies(r, SECRET)))
        })
        .collect()
}

/// Submits an invoice; waits for the first change the poller reports (10 → 20).
async fn submitted(app: &TestApp, receiver: &Receiver) -> String {
    let client = app.active_client(TENANT_A.id).await;
    let (s, _, b) = app
        .submit(TENANT_A.id, vec![invoice(&client, &number("WH"))])
        .await;
    assert_eq!(s, 200, "{b}");
    let id = text(&b["results"][0]["payment_request"]["id"]);
    wait_for("the 10 → 20 delivery", Duration::from_secs(15), || {
        !deliveries_of(receiver, &id, "20").is_empty()
    })
    .await;
    id
}

in_every_mode!(
    a_status_change_reaches_the_webhook_signed_within_two_poll_intervals,
    change_to_webhook
);
async fn change_to_webhook(mode: Mode) {
    let receiver = Receiver::start(|_| Reply::Status(204));
    change_pushed(watching_with_webhook(&receiver).redis_mode(mode), &receiver).await;
}

#[tokio::test]
async fn without_redis_a_status_change_reaches_the_webhook_too() {
    let receiver = Receiver::start(|_| Reply::Status(204));
    change_pushed(watching_with_webhook(&receiver), &receiver).await;
}

async fn change_pushed(builder: TestAppBuilder, receiver: &Receiver) {
    let app = builder.start().await;
    let id = submitted(&app, receiver).await;

    let moved = Instant::now();
    app.set_payment_status(&id, json!({ "code": "30" })).await;
    wait_for("the 20 → 30 delivery", Duration::from_secs(10), || {
        !deliveries_of(receiver, &id, "30").is_empty()
    })
    .await;
    let took = moved.elapsed();
    // Two poll intervals (1 s each), plus the answer's way to the receiver.
    assert!(took < Duration::from_millis(2500), "{took:?}");

    let got = deliveries_of(receiver, &id, "30");
    assert_eq!(got.len(), 1, "{got:?}");
    let (webhook_id, body, signed) = &got[0];
    assert!(signed, "signature does not verify: {body}");
    assert_eq!(body["type"], "payment_request.status_changed");
    assert_eq!(body["data"]["previous_urssaf_code"], "20");
    // The webhook carries the feed's event, under the same id.
    let feed: Value = app
        .gw()
        .get(
            TENANT_A.id,
            "/v1/events?types=payment_request.status_changed&limit=100",
        )
        .send()
        .await
        .expect("gateway answers")
        .json()
        .await
        .expect("json");
    let in_feed: Vec<&Value> = feed["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["id"] == webhook_id.as_str())
        .collect();
    assert_eq!(in_feed.len(), 1, "{feed}");
    assert_eq!(in_feed[0]["data"], body["data"]);
}

#[tokio::test]
async fn two_replicas_push_each_change_once() {
    let receiver = Receiver::start(|_| Reply::Status(200));
    let app = watching_with_webhook(&receiver)
        .redis()
        .replicas(2)
        .start()
        .await;
    let id = submitted(&app, &receiver).await;
    app.set_payment_status(&id, json!({ "code": "30" })).await;
    wait_for("the 20 → 30 delivery", Duration::from_secs(10), || {
        !deliveries_of(&receiver, &id, "30").is_empty()
    })
    .await;
    // Both replicas keep polling; neither pushes the change again.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(deliveries_of(&receiver, &id, "20").len(), 1);
    assert_eq!(deliveries_of(&receiver, &id, "30").len(), 1);
}
