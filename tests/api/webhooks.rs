//! Webhook deliveries, end to end: a real HTTP receiver, gateways with and without Redis,
//! messages enqueued through the gateway's handle (what the event feed calls).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use base64::Engine;
use hmac::{Hmac, Mac};
use parking_lot::Mutex;
use serde_json::Value;
use urssaf_gateway::events::webhook::WebhookMessage;

use crate::helpers::{Gateway, TestApp, TestAppBuilder, TENANT_A};

pub const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

/// One request the receiver got.
#[derive(Clone, Debug)]
pub struct Received {
    pub id: String,
    pub timestamp: String,
    pub signature: String,
    pub body: Vec<u8>,
}

/// What the receiver does with its n-th request (0-based).
#[derive(Clone, Copy)]
pub enum Reply {
    Status(u16),
    /// Never answers.
    Hang,
}

type Behaviour = Arc<dyn Fn(usize) -> Reply + Send + Sync>;

pub struct Receiver {
    pub url: String,
    pub received: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    pub fn start(behaviour: impl Fn(usize) -> Reply + Send + Sync + 'static) -> Receiver {
        let received = Arc::new(Mutex::new(Vec::new()));
        let count = Arc::new(AtomicUsize::new(0));
        let behaviour: Behaviour = Arc::new(behaviour);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("address").port();
        let state = web::Data::new((received.clone(), count, behaviour));
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .default_service(web::to(receive))
        })
        .disable_signals()
        .workers(1)
        .listen(listener)
        .expect("listen")
        .run();
        tokio::spawn(server);
        Receiver {
            url: format!("http://127.0.0.1:{port}/hooks/urssaf?token=t0k3n"),
            received,
        }
    }

    pub fn port(&self) -> u16 {
        self.url
            .trim_start_matches("http://127.0.0.1:")
            .split('/')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("port")
    }

    pub fn got(&self) -> Vec<Received> {
        self.received.lock().clone()
    }
}

type State = (Arc<Mutex<Vec<Received>>>, Arc<AtomicUsize>, Behaviour);

async fn receive(req: HttpRequest, body: web::Bytes, state: web::Data<State>) -> HttpResponse {
    let h = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    state.0.lock().push(Received {
        id: h("webhook-id"),
        timestamp: h("webhook-timestamp"),
        signature: h("webhook-signature"),
        body: body.to_vec(),
    });
    let n = state.1.fetch_add(1, Ordering::SeqCst);
    match (state.2)(n) {
        Reply::Status(s) => {
            HttpResponse::build(actix_web::http::StatusCode::from_u16(s).expect("status")).finish()
        }
        Reply::Hang => {
            std::future::pending::<()>().await;
            HttpResponse::Ok().finish()
        }
    }
}

/// Checks a request's signature as the Standard Webhooks specification says, from scratch.
pub fn verifies(r: &Received, secret: &str) -> bool {
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.trim_start_matches("whsec_"))
        .expect("base64");
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).expect("key");
    mac.update(format!("{}.{}.", r.id, r.timestamp).as_bytes());
    mac.update(&r.body);
    let expected = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    r.signature
        .split(' ')
        .any(|s| s == format!("v1,{expected}"))
}

pub fn message(id: &str) -> WebhookMessage {
    let now = chrono::Utc::now();
    let body = serde_json::json!({
        "type": "payment_request.status_changed",
        "timestamp": now.to_rfc3339(),
        "data": {"id": id, "status": "validated", "previous_state": "integrated"},
    });
    WebhookMessage {
        id: id.to_string(),
        timestamp: now.timestamp(),
        body: serde_json::to_vec(&body).expect("json").into(),
    }
}

/// A gateway (tenant A with a webhook to `receiver`, tenant B without), polling often.
pub fn with_webhook(receiver: &Receiver, schedule: &str) -> TestAppBuilder {
    TestApp::builder()
        .setting("GATEWAY__TENANTS__ALPHA__WEBHOOK_URL", &receiver.url)
        .setting("GATEWAY__TENANTS__ALPHA__WEBHOOK_SECRET", SECRET)
        .setting("GATEWAY__EVENTS__WEBHOOK_RETRY_SCHEDULE", schedule)
        .setting("GATEWAY__EVENTS__WEBHOOK_POLL_MS", "50")
}

pub async fn wait_for(what: &str, within: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < within, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub async fn delivery(gw: &Gateway, id: &str) -> (u16, Value) {
    let r = gw
        .get(TENANT_A.id, &format!("/v1/webhook-deliveries/{id}"))
        .send()
        .await
        .expect("gateway answers");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Waits until the delivery has this status (through the API), and returns it.
pub async fn wait_status(gw: &Gateway, id: &str, status: &str, within: Duration) -> Value {
    let start = Instant::now();
    loop {
        let (code, d) = delivery(gw, id).await;
        if code == 200 && d["status"] == status {
            return d;
        }
        assert!(start.elapsed() < within, "{id} not {status}: {code} {d}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn codes(d: &Value) -> Vec<Value> {
    d["attempts"]
        .as_array()
        .expect("attempts")
        .iter()
        .map(|a| a["status_code"].clone())
        .collect()
}

#[tokio::test]
async fn one_message_one_signed_delivery_in_memory() {
    let receiver = Receiver::start(|_| Reply::Status(204));
    let app = with_webhook(&receiver, "1").start().await;
    let gw = app.gw();
    let m = message("evt_one");
    gw.deliveries.enqueue(TENANT_A.id, m.clone()).await.unwrap();
    // The same id again (a change detected twice): still one delivery.
    gw.deliveries.enqueue(TENANT_A.id, m.clone()).await.unwrap();
    let d = wait_status(gw, "evt_one", "delivered", Duration::from_secs(5)).await;
    let got = receiver.got();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].id, "evt_one");
    assert_eq!(got[0].body, m.body.to_vec(), "the envelope is sent as is");
    assert!(verifies(&got[0], SECRET), "signature: {}", got[0].signature);
    let ts: i64 = got[0].timestamp.parse().unwrap();
    assert!((chrono::Utc::now().timestamp() - ts).abs() < 5);
    assert_eq!(codes(&d), [204]);
    assert_eq!(d["payload"]["data"]["id"], "evt_one");
    let metric = gw
        .metrics
        .webhook_deliveries
        .with_label_values(&["delivered"])
        .get();
    assert_eq!(metric, 1);
    assert_eq!(gw.metrics.webhook_lag.get_sample_count(), 1);
    // A tenant without a webhook: enqueue is a no-op, the API says why nothing is there.
    gw.deliveries
        .enqueue("beta", message("evt_b"))
        .await
        .unwrap();
    let r = gw
        .get("beta", "/v1/webhook-deliveries")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["code"], "webhook_not_configured");
    let (code, p) = delivery(gw, "evt_unknown").await;
    assert_eq!((code, p["code"].as_str()), (404, Some("not_found")));
    let r = gw
        .get(TENANT_A.id, "/v1/webhook-deliveries?status=lost")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
}

#[tokio::test]
async fn a_failing_receiver_gets_the_same_id_again_then_it_is_delivered() {
    let receiver = Receiver::start(|n| Reply::Status(if n == 0 { 500 } else { 200 }));
    let app = with_webhook(&receiver, "1,1").redis().start().await;
    let gw = app.gw();
    gw.deliveries
        .enqueue(TENANT_A.id, message("evt_retry"))
        .await
        .unwrap();
    let d = wait_status(gw, "evt_retry", "delivered", Duration::from_secs(10)).await;
    let got = receiver.got();
    assert_eq!(got.len(), 2);
    assert!(got
        .iter()
        .all(|r| r.id == "evt_retry" && verifies(r, SECRET)));
    assert_eq!(codes(&d), [500, 200]);
    let gap = d["attempts"][1]["attempted_at"]
        .as_str()
        .unwrap()
        .parse::<chrono::DateTime<chrono::Utc>>()
        .unwrap()
        - d["attempts"][0]["attempted_at"]
            .as_str()
            .unwrap()
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap();
    assert!(
        gap.num_milliseconds() >= 1000,
        "retried after the schedule's wait: {gap}"
    );
    let retried = gw
        .metrics
        .webhook_deliveries
        .with_label_values(&["retried"])
        .get();
    assert_eq!(retried, 1);
}

/// Run by `.ci/webhooks`: deliveries to a receiver outside this process
/// (`WEBHOOK_RECEIVER_URL`) that checks each signature with the Standard Webhooks library and
/// answers 400 to a bad one. The gateway signs with the secrets of `WEBHOOK_SECRETS` (a
/// rotation: several); every message must end up delivered.
#[tokio::test]
#[ignore = "needs the outside receiver started by .ci/webhooks"]
async fn deliveries_verified_by_an_outside_receiver() {
    let url = std::env::var("WEBHOOK_RECEIVER_URL").expect("WEBHOOK_RECEIVER_URL");
    let secrets = std::env::var("WEBHOOK_SECRETS").expect("WEBHOOK_SECRETS");
    let app = TestApp::builder()
        .setting("GATEWAY__TENANTS__ALPHA__WEBHOOK_URL", &url)
        .setting("GATEWAY__TENANTS__ALPHA__WEBHOOK_SECRET", &secrets)
        // A refused signature fails fast instead of retrying for a day.
        .setting("GATEWAY__EVENTS__WEBHOOK_RETRY_SCHEDULE", "0")
        .setting("GATEWAY__EVENTS__WEBHOOK_POLL_MS", "50")
        .start()
        .await;
    let gw = app.gw();
    let texts = [
        "plain",
        "accents: é à ç ü",
        "quotes \" and \\ backslash",
        "emoji 🧾",
        "",
    ];
    let mut ids = Vec::new();
    for (i, text) in texts.iter().cycle().take(20).enumerate() {
        let id = format!("evt_ci_{i}_{}", uuid::Uuid::new_v4().simple());
        let mut m = message(&id);
        let body = serde_json::json!({
            "type": "client.account_changed",
            "timestamp": chrono::Utc::now().to_rfc3339(),
            "data": {"id": id, "note": text, "n": i},
        });
        m.body = serde_json::to_vec(&body).unwrap().into();
        gw.deliveries.enqueue(TENANT_A.id, m).await.unwrap();
        ids.push(id);
    }
    for id in &ids {
        let d = wait_status_or_failed(gw, id).await;
        assert_eq!(d["status"], "delivered", "{d}");
    }
}

async fn wait_status_or_failed(gw: &Gateway, id: &str) -> Value {
    let start = Instant::now();
    loop {
        let (_, d) = delivery(gw, id).await;
        if d["status"] == "delivered" || d["status"] == "failed" {
            return d;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "{id}: {d}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
