//! A Redis master dies while submissions with `Idempotency-Key` run through two gateways:
//! no call is lost (each ends in a 200, after 409/503 answers retried with the same key), no
//! payment request is created twice, and the gateways use the new master afterwards.
//!
//! Cluster: the master serving the tenant's slot is killed (SIGKILL); its replica takes over.
//! Sentinel: the master hangs (`DEBUG SLEEP`); the sentinels promote the replica.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::{json, Value};

use crate::fixtures::*;
use crate::helpers::*;
use crate::redis_modes::topology_command;

/// What one logical submission (one key, one invoice) went through.
#[derive(Debug)]
struct Outcome {
    key: String,
    body: Value,
    number: String,
    /// The payment request the first answer and the resend on the other gateway named.
    ids: (String, String),
    /// Answers before the 200 (409 in flight, 503), retried with the same key.
    retried: Vec<u16>,
}

/// Sends until a definite answer: 409 (in flight) and 503 are retried with the same key, as
/// a client should, for up to 30 s. Anything else than a 200 is an error.
async fn until_answered(gw: &Gateway, key: &str, body: &Value, retried: &mut Vec<u16>) -> Answer {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let sent = gw
            .post(TENANT_A.id, "/v1/payment-requests")
            .header("Idempotency-Key", key)
            .json(body)
            .send()
            .await;
        let got = match sent {
            Ok(resp) => read(resp).await,
            Err(e) => panic!("the gateway did not answer: {e}"),
        };
        match got.0 {
            409 | 503 if Instant::now() < deadline => {
                retried.push(got.0);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            _ => return got,
        }
    }
}

fn payment_request_id(got: &Answer) -> String {
    assert_eq!(got.0, 200, "{}", got.2);
    let r = &got.2["results"][0];
    assert_eq!(r["outcome"], "accepted", "{}", got.2);
    r["payment_request"]["id"]
        .as_str()
        .expect("payment request id")
        .to_string()
}

/// Submissions from `workers` clients until `stop`: each a new key and invoice, sent to one
/// gateway, then sent again (same key, same body) to the other, as a client unsure whether
/// its first call went through.
fn traffic(
    app: &TestApp,
    client: &str,
    workers: usize,
    stop: Arc<AtomicBool>,
) -> Vec<tokio::task::JoinHandle<Vec<Outcome>>> {
    (0..workers)
        .map(|w| {
            let gws = app.gateways().to_vec();
            let client = client.to_string();
            let stop = stop.clone();
            tokio::spawn(async move {
                let mut done = Vec::new();
                let mut i = w;
                while !stop.load(Ordering::Relaxed) {
                    let key = uuid::Uuid::new_v4().to_string();
                    let number = number("FO");
                    let body = json!({ "invoices": [invoice(&client, &number)] });
                    let mut retried = Vec::new();
                    let first = until_answered(&gws[i % 2], &key, &body, &mut retried).await;
                    let again = until_answered(&gws[(i + 1) % 2], &key, &body, &mut retried).await;
                    done.push(Outcome {
                        key,
                        body,
                        number,
                        ids: (payment_request_id(&first), payment_request_id(&again)),
                        retried,
                    });
                    i += 1;
                }
                done
            })
        })
        .collect()
}

/// The payment requests Urssaf holds per invoice number, searched through the gateway.
async fn payment_requests_by_number(app: &TestApp, numbers: &[String]) -> BTreeMap<String, usize> {
    let mut found = BTreeMap::new();
    // The simulator answers at most 10 results a search.
    for chunk in numbers.chunks(5) {
        let (s, _, b) = app
            .search(TENANT_A.id, json!({ "invoice_numbers": chunk }))
            .await;
        assert_eq!(s, 200, "{b}");
        for pr in b["payment_requests"].as_array().expect("payment_requests") {
            let n = pr["invoice_number"].as_str().expect("number").to_string();
            *found.entry(n).or_insert(0) += 1;
        }
    }
    found
}

/// A key answered by one gateway is replayed by the other: they share Redis again.
async fn shared_again(app: &TestApp, client: &str) -> bool {
    let key = uuid::Uuid::new_v4().to_string();
    let body = json!({ "invoices": [invoice(client, &number("FO"))] });
    let mut retried = Vec::new();
    let gws = app.gateways();
    let first = until_answered(&gws[0], &key, &body, &mut retried).await;
    let again = until_answered(&gws[1], &key, &body, &mut retried).await;
    assert_eq!(payment_request_id(&first), payment_request_id(&again));
    again.1.get("idempotent-replayed").is_some()
}

/// The replication role of the node on a loopback port (`master`, `slave`).
async fn role(port: &str) -> String {
    let password = &crate::redis_modes::topologies().data_password;
    let url = format!("redis://:{password}@127.0.0.1:{port}");
    let client = redis::Client::open(url).expect("url");
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("node answers");
    let role: Vec<redis::Value> = redis::cmd("ROLE")
        .query_async(&mut conn)
        .await
        .expect("ROLE");
    match role.first() {
        Some(redis::Value::BulkString(b)) => String::from_utf8_lossy(b).into_owned(),
        other => panic!("ROLE: {other:?}"),
    }
}

/// Runs traffic, calls `fail` (which returns the failed master's port) once it flows, keeps
/// the traffic running through the failover, then checks every call and the payment requests.
async fn survives_failover<F, Fut>(mode: Mode, fail: F)
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = String>,
{
    let app = TestApp::builder()
        .redis_mode(mode)
        .holding_redis_alone()
        .replicas(2)
        // Back on Redis soon after the failover.
        .setting("GATEWAY__REDIS__RETRY_AFTER_MS", "300")
        .start()
        .await;
    let client = app.active_client(TENANT_A.id).await;
    assert!(shared_again(&app, &client).await, "Redis in use before");
    // The tenant's hash tag: all its keys are on the master that is about to fail.
    let prefix = app.setting_value("GATEWAY__REDIS__KEY_PREFIX").unwrap();
    let keys = mode
        .inspect()
        .await
        .keys(&format!("{prefix}:*:idem:*"))
        .await;
    let tag = keys[0]
        .split_once('{')
        .and_then(|(_, rest)| rest.split_once('}'))
        .map(|(tag, _)| format!("{{{tag}}}"))
        .expect("hash tag");

    let stop = Arc::new(AtomicBool::new(false));
    let workers = traffic(&app, &client, 4, stop.clone());
    tokio::time::sleep(Duration::from_millis(500)).await;
    let errors_before: u64 = app
        .gateways()
        .iter()
        .map(|g| g.metrics.redis_errors.get())
        .sum();
    // Traffic meets the failure.
    let failed = fail(tag.clone()).await;
    let started = Instant::now();
    let errors = || -> u64 {
        app.gateways()
            .iter()
            .map(|g| g.metrics.redis_errors.get())
            .sum()
    };
    // Until the gateways felt the failure, another node is the master and the gateways share
    // Redis again (so they follow the failover by themselves), then a little longer.
    let master_now = || async {
        match mode {
            Mode::Cluster => topology_command(&["master", "cluster", &tag]).await,
            _ => topology_command(&["master", "sentinel"]).await,
        }
    };
    loop {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no failover within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
        let now = master_now().await;
        if errors() > errors_before
            && !now.is_empty()
            && now != failed
            && shared_again(&app, &client).await
        {
            break;
        }
    }
    let failover = started.elapsed();
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    let mut outcomes = Vec::new();
    for w in workers {
        outcomes.extend(w.await.expect("a client task panicked"));
    }
    // The failed master comes back as a replica meanwhile.
    let name = mode.name();
    let healing = tokio::spawn(async move { topology_command(&["heal", name]).await });

    assert!(outcomes.len() >= 20, "{} submissions only", outcomes.len());
    for o in &outcomes {
        assert_eq!(
            o.ids.0, o.ids.1,
            "the resend named another payment request: {o:?}"
        );
    }
    let numbers: Vec<String> = outcomes.iter().map(|o| o.number.clone()).collect();
    let found = payment_requests_by_number(&app, &numbers).await;
    for n in &numbers {
        assert_eq!(found.get(n), Some(&1), "payment requests for {n}");
    }
    let retried: usize = outcomes.iter().map(|o| o.retried.len()).sum();
    eprintln!(
        "{}: failed over in {:.1} s; {} submissions (each sent twice), {retried} answers retried, {} Redis errors, {} calls to Urssaf",
        mode.name(),
        failover.as_secs_f64(),
        outcomes.len(),
        errors() - errors_before,
        app.sim().submissions()
    );
    // A late retry of any key, on either gateway or a new one, gets the same payment request
    // at once: no claim left "in flight" by the outage, nothing sent twice more. (The answers
    // Redis missed are written back every 300 ms: one second is plenty.)
    tokio::time::sleep(Duration::from_secs(1)).await;
    let calls = app.sim().submissions();
    let fresh = app.replica().await;
    let gws = [&app.gateways()[0], &app.gateways()[1], &fresh];
    let late = outcomes.iter().enumerate().map(|(i, o)| async move {
        let mut retried = Vec::new();
        let got = until_answered(gws[i % 3], &o.key, &o.body, &mut retried).await;
        assert_eq!(payment_request_id(&got), o.ids.0, "{o:?}");
        assert!(
            retried.is_empty(),
            "late retry of {o:?} answered {retried:?} first"
        );
    });
    futures_util::stream::iter(late)
        .buffer_unordered(8)
        .collect::<Vec<()>>()
        .await;
    assert_eq!(
        app.sim().submissions(),
        calls,
        "a late retry reached Urssaf"
    );
    healing.await.expect("heal task");
    assert_eq!(
        role(&failed).await,
        "slave",
        "the failed master came back as a replica"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cluster_master_killed_mid_traffic_loses_no_call() {
    survives_failover(Mode::Cluster, |tag| async move {
        let port = topology_command(&["kill-master", "cluster", &tag]).await;
        eprintln!("killed the master on port {port}, serving {tag}");
        port
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_sentinel_master_hung_mid_traffic_loses_no_call() {
    survives_failover(Mode::Sentinel, |_| async move {
        let port = topology_command(&["pause-master", "sentinel", "6"]).await;
        eprintln!("the master on port {port} hangs for 6 s");
        port
    })
    .await;
}
