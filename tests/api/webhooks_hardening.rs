//! Webhook deliveries under pressure (issue 20): as fast as an instant receiver answers within
//! the per-tenant cap, a `410 Gone` ending the retries, the in-memory queue bounded.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpResponse, HttpServer};
use futures_util::{stream, StreamExt};
use serde_json::{json, Value};

use crate::fixtures::{invoice, number};
use crate::helpers::{text, TestApp, TestAppBuilder, TENANT_A};
use crate::webhooks::{delivery, message, wait_for, wait_status, with_webhook, Receiver, Reply};

/// A receiver answering 204 at once, counting what it got and the most requests in flight.
struct Instant204 {
    url: String,
    got: Arc<AtomicUsize>,
    max_in_flight: Arc<AtomicUsize>,
}

fn instant_receiver() -> Instant204 {
    let got = Arc::new(AtomicUsize::new(0));
    let max_in_flight = Arc::new(AtomicUsize::new(0));
    let in_flight = Arc::new(AtomicUsize::new(0));
    let state = web::Data::new((got.clone(), max_in_flight.clone(), in_flight));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    let server = HttpServer::new(move || {
        App::new().app_data(state.clone()).default_service(web::to(
            |s: web::Data<(Arc<AtomicUsize>, Arc<AtomicUsize>, Arc<AtomicUsize>)>| async move {
                let now = s.2.fetch_add(1, Ordering::SeqCst) + 1;
                s.1.fetch_max(now, Ordering::SeqCst);
                // A yield, so that overlapping requests would be seen overlapping.
                tokio::task::yield_now().await;
                s.2.fetch_sub(1, Ordering::SeqCst);
                s.0.fetch_add(1, Ordering::SeqCst);
                HttpResponse::NoContent().finish()
            },
        ))
    })
    .disable_signals()
    .workers(2)
    .listen(listener)
    .expect("listen")
    .run();
    tokio::spawn(server);
    Instant204 {
        url: format!("http://127.0.0.1:{port}/hooks"),
        got,
        max_in_flight,
    }
}

/// Enqueues `n` messages for tenant A; the deliveries per second until the receiver got them.
async fn rate(builder: TestAppBuilder, n: usize) -> (f64, usize) {
    let receiver = instant_receiver();
    let app = builder
        .setting("GATEWAY__TENANTS__ALPHA__WEBHOOK_URL", &receiver.url)
        .setting(
            "GATEWAY__TENANTS__ALPHA__WEBHOOK_SECRET",
            crate::webhooks::SECRET,
        )
        .start()
        .await;
    let gw = app.gw();
    let run = uuid::Uuid::new_v4().simple().to_string();
    let started = Instant::now();
    for i in 0..n {
        let m = message(&format!("evt_rate_{run}_{i}"));
        gw.deliveries.enqueue(TENANT_A.id, m).await.expect("queued");
    }
    let got = receiver.got.clone();
    wait_for("every delivery", Duration::from_secs(30), || {
        got.load(Ordering::SeqCst) >= n
    })
    .await;
    let per_second = n as f64 / started.elapsed().as_secs_f64();
    (per_second, receiver.max_in_flight.load(Ordering::SeqCst))
}

#[tokio::test]
async fn deliveries_at_least_200_per_second_within_the_in_flight_cap_without_redis() {
    let (per_second, in_flight) = rate(TestApp::builder(), 1000).await;
    println!("without Redis: {per_second:.0} deliveries/s, at most {in_flight} in flight");
    assert!(per_second >= 200.0, "{per_second:.1}/s");
    assert!(in_flight <= 4, "{in_flight} in flight (cap 4)");
}

#[tokio::test]
async fn deliveries_at_least_200_per_second_within_the_in_flight_cap_with_redis() {
    let (per_second, in_flight) = rate(TestApp::builder().redis(), 1000).await;
    println!("with Redis: {per_second:.0} deliveries/s, at most {in_flight} in flight");
    assert!(per_second >= 200.0, "{per_second:.1}/s");
    assert!(in_flight <= 4, "{in_flight} in flight (cap 4)");
}

/// Deliveries of payment requests now in Urssaf status `code`.
fn with_code(receiver: &Receiver, code: &str) -> usize {
    receiver
        .got()
        .iter()
        .filter(|r| {
            serde_json::from_slice::<Value>(&r.body)
                .is_ok_and(|b| b["data"]["status"]["urssaf_code"] == code)
        })
        .count()
}

#[tokio::test]
async fn deliveries_300_status_changes_reach_an_instant_receiver_within_15s_without_redis() {
    let receiver = Receiver::start(|_| Reply::Status(204));
    let app = TestApp::builder()
        .tenants(&[&TENANT_A])
        .setting("GATEWAY__EVENTS__ENABLED", "true")
        .setting("GATEWAY__EVENTS__POLL_INTERVAL_SECONDS", "1")
        .setting("GATEWAY__TENANTS__ALPHA__WEBHOOK_URL", &receiver.url)
        .setting(
            "GATEWAY__TENANTS__ALPHA__WEBHOOK_SECRET",
            crate::webhooks::SECRET,
        )
        .start()
        .await;
    let client = app.active_client(TENANT_A.id).await;
    let mut ids = Vec::new();
    for _ in 0..30 {
        let invoices = (0..10).map(|_| invoice(&client, &number("HV"))).collect();
        let (s, _, b) = app.submit(TENANT_A.id, invoices).await;
        assert_eq!(s, 200, "{b}");
        for r in b["results"].as_array().expect("results") {
            ids.push(text(&r["payment_request"]["id"]));
        }
    }
    assert_eq!(ids.len(), 300);
    wait_for(
        "the 300 submissions' first change",
        Duration::from_secs(60),
        || with_code(&receiver, "20") >= 300,
    )
    .await;

    let started = Instant::now();
    let moves = ids
        .iter()
        .map(|id| app.set_payment_status(id, json!({ "code": "30" })));
    stream::iter(moves)
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
    wait_for("300 changes delivered", Duration::from_secs(15), || {
        with_code(&receiver, "30") >= 300
    })
    .await;
    let took = started.elapsed();
    println!("300 status changes reached the receiver in {took:?}");
    assert!(took < Duration::from_secs(15), "{took:?}");
}

#[tokio::test]
async fn deliveries_a_410_stops_the_retries_without_redis() {
    gone_stops_retries(with_webhook(
        &Receiver::start(|_| Reply::Status(410)),
        "1,1,1",
    ))
    .await;
}

#[tokio::test]
async fn deliveries_a_410_stops_the_retries_with_redis() {
    gone_stops_retries(with_webhook(&Receiver::start(|_| Reply::Status(410)), "1,1,1").redis())
        .await;
}

async fn gone_stops_retries(builder: TestAppBuilder) {
    let app = builder.start().await;
    let gw = app.gw();
    let id = format!("evt_gone_{}", uuid::Uuid::new_v4().simple());
    gw.deliveries
        .enqueue(TENANT_A.id, message(&id))
        .await
        .expect("queued");
    let d = wait_status(gw, &id, "failed", Duration::from_secs(5)).await;
    // The schedule would retry after 1 s three times: none is made.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (_, d2) = delivery(gw, &id).await;
    assert_eq!(d2["status"], "failed", "{d2}");
    let attempts = d2["attempts"].as_array().expect("attempts");
    assert_eq!(attempts.len(), 1, "{d} {d2}");
    assert_eq!(attempts[0]["status_code"], 410);
}

#[tokio::test]
async fn memory_bounded_queue_drops_oldest_with_metric() {
    // A dead receiver: everything stays pending.
    let receiver = Receiver::start(|_| Reply::Status(503));
    let app = with_webhook(&receiver, "3600")
        .setting("GATEWAY__EVENTS__WEBHOOK_MEMORY_MAX_DELIVERIES", "100")
        .start()
        .await;
    let gw = app.gw();
    for i in 0..150 {
        gw.deliveries
            .enqueue(TENANT_A.id, message(&format!("evt_bound_{i}")))
            .await
            .expect("queued");
    }
    let dropped = gw
        .metrics
        .events_memory_dropped
        .with_label_values(&["webhook_queue"])
        .get();
    assert_eq!(dropped, 50);
    assert_eq!(delivery(gw, "evt_bound_0").await.0, 404, "the oldest went");
    assert_eq!(delivery(gw, "evt_bound_49").await.0, 404);
    let (code, newest) = delivery(gw, "evt_bound_149").await;
    assert_eq!(code, 200, "{newest}");
    assert_eq!(
        delivery(gw, "evt_bound_50").await.0,
        200,
        "the 100 newest stay"
    );
}
