//! `Idempotency-Key` on `POST /v1/payment-requests`, lost answers and reconciliation.

use futures_util::future::join_all;
use serde_json::json;

use crate::fixtures::*;
use crate::helpers::*;

async fn replay_then_mismatch(app: &TestApp) {
    let client = app.active_client(TENANT_A.id).await;
    let key = uuid::Uuid::new_v4().to_string();
    let body = json!({ "invoices": [invoice(&client, &number("I"))] });
    let (s, h, first) = app.submit_with_key(TENANT_A.id, &key, &body).await;
    assert_eq!(s, 200, "{first}");
    assert!(h.get("idempotent-replayed").is_none());
    let (s, h, again) = app.submit_with_key(TENANT_A.id, &key, &body).await;
    assert_eq!(s, 200, "{again}");
    assert_eq!(h["idempotent-replayed"], "true");
    assert_eq!(content_type(&h), "application/json");
    assert_eq!(again, first);
    assert_eq!(app.sim().submissions(), 1);

    // Same key, another body.
    let other = json!({ "invoices": [invoice(&client, &number("I"))] });
    let got = app.submit_with_key(TENANT_A.id, &key, &other).await;
    let p = assert_problem(&got, 422, "idempotency_key_reused");
    assert!(p["detail"].is_string());
    assert_eq!(app.sim().submissions(), 1);

    // The key is per tenant: tenant B's identical key is a fresh request.
    let got = app.submit_with_key(TENANT_B.id, &key, &body).await;
    assert_problem(&got, 422, "urssaf_rejected");
    assert_eq!(app.sim().submissions(), 2);
}

#[tokio::test]
async fn same_key_same_body_is_replayed_and_another_body_refused() {
    replay_then_mismatch(&spawn_app().await).await;
}

#[tokio::test]
async fn same_key_same_body_is_replayed_with_redis() {
    replay_then_mismatch(&TestApp::builder().redis().start().await).await;
}

async fn twenty_concurrent_duplicates(app: &TestApp) {
    let client = app.active_client(TENANT_A.id).await;
    // Slow Urssaf down so that every duplicate arrives while the first is in flight.
    app.faults(json!({ "latency_ms": 300 })).await;
    let key = uuid::Uuid::new_v4().to_string();
    let body = json!({ "invoices": [invoice(&client, &number("C"))] });
    let answers = join_all((0..20).map(|_| app.submit_with_key(TENANT_A.id, &key, &body))).await;
    assert_eq!(app.sim().submissions(), 1);
    let winners: Vec<_> = answers
        .iter()
        .filter(|(s, h, _)| *s == 200 && h.get("idempotent-replayed").is_none())
        .collect();
    assert_eq!(winners.len(), 1, "{answers:?}");
    let winner = &winners[0].2;
    assert_eq!(winner["results"][0]["outcome"], "accepted");
    for got in &answers {
        match got.0 {
            200 => assert_eq!(&got.2, winner),
            409 => {
                assert_problem(got, 409, "idempotency_in_flight");
            }
            other => panic!("unexpected {other}: {}", got.2),
        }
    }
    assert!(answers.iter().filter(|a| a.0 == 409).count() >= 1);
    // Afterwards the answer is replayed.
    app.faults(json!({})).await;
    let (s, h, b) = app.submit_with_key(TENANT_A.id, &key, &body).await;
    assert_eq!((s, &b), (200, winner));
    assert_eq!(h["idempotent-replayed"], "true");
    assert_eq!(app.sim().submissions(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_duplicates_reach_urssaf_once() {
    twenty_concurrent_duplicates(&spawn_app().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_duplicates_reach_urssaf_once_with_redis() {
    twenty_concurrent_duplicates(&TestApp::builder().redis().start().await).await;
}

#[tokio::test]
async fn a_lost_answer_is_reconciled_by_invoice_number() {
    let app = spawn_app().await;
    let client = app.active_client(TENANT_A.id).await;
    app.faults(json!({ "drop_after_accept": true })).await;
    let key = uuid::Uuid::new_v4().to_string();
    let num = number("LOST");
    let body = json!({ "invoices": [invoice(&client, &num)] });
    let (s, _, b) = app.submit_with_key(TENANT_A.id, &key, &body).await;
    // Urssaf integrated it but the answer never came: the gateway found it by number.
    assert_eq!(s, 200, "{b}");
    assert_eq!(app.sim().submissions(), 1);
    let r = &b["results"][0];
    assert_eq!(r["outcome"], "accepted", "{b}");
    assert_eq!(r["reconciled"], true);
    let id = r["payment_request"]["id"].as_str().unwrap().to_string();
    assert_eq!(r["payment_request"]["invoice_number"], num.as_str());
    assert_eq!(r["payment_request"]["status"]["urssaf_code"], "20");
    // The caller's retry with the same key gets the same answer, nothing sent again.
    let (s, h, again) = app.submit_with_key(TENANT_A.id, &key, &body).await;
    assert_eq!((s, &again), (200, &b));
    assert_eq!(h["idempotent-replayed"], "true");
    assert_eq!(app.sim().submissions(), 1);

    // A retry without the key: Urssaf says duplicate, the gateway sees it is the same invoice.
    app.faults(json!({})).await;
    let (s, _, b) = app.submit(TENANT_A.id, vec![invoice(&client, &num)]).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["results"][0]["reconciled"], true);
    assert_eq!(b["results"][0]["payment_request"]["id"], id.as_str());
    assert_eq!(app.sim().submissions(), 2);
}

#[tokio::test]
async fn a_failed_submission_frees_the_key_for_a_retry() {
    let app = spawn_app().await;
    let client = app.active_client(TENANT_A.id).await;
    app.faults(json!({ "error_503_rate": 1.0 })).await;
    let key = uuid::Uuid::new_v4().to_string();
    let body = json!({ "invoices": [invoice(&client, &number("F"))] });
    let got = app.submit_with_key(TENANT_A.id, &key, &body).await;
    let p = assert_problem(&got, 503, "upstream_unavailable");
    assert!(got.1.get("retry-after").is_some());
    assert_eq!(p["results"][0]["outcome"], "failed", "{p}");
    // Too many requests: Urssaf's Retry-After is passed on; the key is still free.
    app.faults(json!({ "error_429_rate": 1.0 })).await;
    let got = app.submit_with_key(TENANT_A.id, &key, &body).await;
    assert_problem(&got, 503, "upstream_unavailable");
    assert_eq!(got.1["retry-after"], "1");
    app.faults(json!({})).await;
    let (s, h, b) = app.submit_with_key(TENANT_A.id, &key, &body).await;
    assert_eq!(s, 200, "{b}");
    assert!(h.get("idempotent-replayed").is_none());
    assert_eq!(b["results"][0]["reconciled"], false);
}

#[tokio::test]
async fn a_timed_out_submission_can_be_retried_with_the_same_key() {
    let app = TestApp::builder().short_upstream_timeout().start().await;
    let client = app.active_client(TENANT_A.id).await;
    app.faults(json!({ "latency_ms": 500 })).await;
    let key = uuid::Uuid::new_v4().to_string();
    let num = number("TO");
    let body = json!({ "invoices": [invoice(&client, &num)] });
    let got = app.submit_with_key(TENANT_A.id, &key, &body).await;
    let p = assert_problem(&got, 504, "upstream_timeout");
    assert!(got.1.get("retry-after").is_some());
    assert_eq!(p["results"][0]["outcome"], "failed", "{p}");
    assert_eq!(
        p["results"][0]["errors"][0]["rule"], "upstream_timeout",
        "{p}"
    );
    // Retry with the same key (the first attempt may still be running at the simulator).
    app.faults(json!({})).await;
    let (s, h, b) = app.submit_with_key(TENANT_A.id, &key, &body).await;
    assert_eq!(s, 200, "{b}");
    assert!(h.get("idempotent-replayed").is_none());
    let r = &b["results"][0];
    assert_eq!(r["outcome"], "accepted", "{b}");
    // Either the first call was integrated (then reconciled) or not (then sent now): one
    // payment request for this number in the end.
    let (s, _, found) = app
        .search(TENANT_A.id, json!({ "invoice_numbers": [num] }))
        .await;
    assert_eq!(s, 200, "{found}");
    assert_eq!(found["payment_requests"].as_array().unwrap().len(), 1);
    assert_eq!(
        found["payment_requests"][0]["id"],
        r["payment_request"]["id"]
    );
}

#[tokio::test]
async fn an_invalid_key_is_refused_before_anything_else() {
    let app = spawn_app().await;
    let body = json!({ "invoices": [invoice("c", &number("K"))] });
    for key in ["x".repeat(256), "é".to_string()] {
        let resp = app
            .gw()
            .post(TENANT_A.id, "/v1/payment-requests")
            .header("Idempotency-Key", key.as_bytes())
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_problem(&read(resp).await, 400, "invalid_idempotency_key");
    }
    assert_eq!(app.sim().token_requests(), 0);
}

#[tokio::test]
async fn key_order_and_spacing_do_not_make_another_body() {
    let app = spawn_app().await;
    let client = app.active_client(TENANT_A.id).await;
    let key = uuid::Uuid::new_v4().to_string();
    let num = number("O");
    let inv = invoice(&client, &num);
    let text = serde_json::to_string(&json!({ "invoices": [inv] })).unwrap();
    // The same invoice written by hand in another key order, with other spacing.
    let lines = serde_json::to_string(&inv["lines"]).unwrap();
    let reordered = format!(
        "{{ \"invoices\" : [ {{ \"lines\": {lines}, \"client_birth_date\": \"1980-03-29\", \"client_id\": \"{client}\", \"invoice_date\": \"{}\", \"invoice_number\": \"{num}\" }} ] }}",
        inv["invoice_date"].as_str().unwrap()
    );
    assert_ne!(text, reordered);
    let send = |body: String| {
        app.gw()
            .post(TENANT_A.id, "/v1/payment-requests")
            .header("Idempotency-Key", key.as_str())
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let (s, _, first) = read(send(text).await.unwrap()).await;
    assert_eq!(s, 200, "{first}");
    let (s, h, again) = read(send(reordered).await.unwrap()).await;
    assert_eq!((s, &again), (200, &first));
    assert_eq!(h["idempotent-replayed"], "true");
    assert_eq!(app.sim().submissions(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_request_keeps_its_key_past_the_in_flight_ttl() {
    let app = TestApp::builder()
        .redis()
        .setting("GATEWAY__IDEMPOTENCY__IN_FLIGHT_TTL_SECONDS", "1")
        .start()
        .await;
    let client = app.active_client(TENANT_A.id).await;
    let body = json!({ "invoices": [invoice(&client, &number("SLOW"))] });
    app.faults(json!({ "latency_ms": 2500 })).await;
    let first = {
        let req = app
            .gw()
            .post(TENANT_A.id, "/v1/payment-requests")
            .header("Idempotency-Key", "slow-1")
            .json(&body);
        tokio::spawn(async move { req.send().await.map(|r| r.status().as_u16()) })
    };
    // Well past the 1 s in-flight TTL: the claim was renewed, the duplicate is refused.
    tokio::time::sleep(std::time::Duration::from_millis(1800)).await;
    let dup = app.submit_with_key(TENANT_A.id, "slow-1", &body).await;
    assert_problem(&dup, 409, "idempotency_in_flight");
    assert_eq!(first.await.unwrap().unwrap(), 200);
    app.faults(json!({})).await;
    let replay = app.submit_with_key(TENANT_A.id, "slow-1", &body).await;
    assert_eq!(replay.0, 200);
    assert_eq!(replay.1["idempotent-replayed"], "true");
    assert_eq!(app.sim().submissions(), 1);
}
