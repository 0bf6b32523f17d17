//! `POST /v1/payment-requests/search`: ids and invoice numbers in chunks of 10, periods
//! split while Urssaf has too many results, `not_found`, empty answers.

use serde_json::{json, Value};

use crate::fixtures::*;
use crate::helpers::*;

/// Criteria for the invoice dates between two days of last month.
fn period(from: u32, to: u32) -> Value {
    json!({ "invoice_date_from": iso(last_month(from)), "invoice_date_to": iso(last_month(to)) })
}

/// The payment-request ids of seeded (number, id) pairs, sorted.
fn sorted_ids(seeded: &[(String, String)]) -> Vec<String> {
    let mut ids: Vec<String> = seeded.iter().map(|(_, id)| id.clone()).collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn twelve_ids_are_searched_in_two_calls_with_not_found() {
    let app = spawn_app().await;
    let client = app.active_client(TENANT_A.id).await;
    let seeded = app.seed(&client, &[2; 12]).await;
    let mut ids: Vec<String> = seeded.iter().map(|(_, id)| id.clone()).collect();
    ids.push("99999999999999".into());
    let (s, _, b) = app.search(TENANT_A.id, json!({ "ids": ids })).await;
    // The simulator refuses more than 10 ids per call: 200 proves the chunking.
    assert_eq!(s, 200, "{b}");
    let want = sorted_ids(&seeded);
    assert_eq!(found_ids(&b), want);
    assert_eq!(b["not_found"], json!(["99999999999999"]));
    let p = &b["payment_requests"][0];
    assert!(
        p["status"]["state"].is_string() && p["invoice"]["total_incl_tax"] == "50.00",
        "{p}"
    );

    // By invoice numbers (also more than 10), with one unknown.
    let mut numbers: Vec<String> = seeded.iter().map(|(n, _)| n.clone()).collect();
    numbers.push("NOPE-1".into());
    let (s, _, b) = app
        .search(TENANT_A.id, json!({ "invoice_numbers": numbers }))
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(found_ids(&b), want);
    assert_eq!(b["not_found"], json!(["NOPE-1"]));

    // Ids and numbers together narrow each other: only the request matching both.
    let (s, _, b) = app
        .search(
            TENANT_A.id,
            json!({ "ids": [seeded[0].1], "invoice_numbers": [seeded[0].0, seeded[1].0] }),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(found_ids(&b), vec![seeded[0].1.clone()]);
    assert_eq!(b["not_found"], json!([seeded[1].0]));

    // Numbers within a period: none of last month's invoices is dated next year, and an
    // unknown number does not widen the search to the whole period.
    let next_year = (chrono::Utc::now().date_naive() + chrono::Duration::days(366)).to_string();
    let (s, _, b) = app
        .search(
            TENANT_A.id,
            json!({ "invoice_numbers": [seeded[0].0, "NOPE-1"], "invoice_date_from": next_year }),
        )
        .await;
    assert_eq!(s, 422, "an empty period is refused: {b}");
    let (s, _, b) = app
        .search(
            TENANT_A.id,
            json!({ "invoice_numbers": ["NOPE-1"], "invoice_date_from": iso(last_month(1)) }),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        b,
        json!({ "payment_requests": [], "not_found": ["NOPE-1"] })
    );
    let (s, _, b) = app
        .search(
            TENANT_A.id,
            json!({ "invoice_numbers": [seeded[0].0], "invoice_date_from": iso(last_month(3)) }),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        (found_ids(&b), &b["not_found"]),
        (Vec::<String>::new(), &json!([seeded[0].0])),
        "invoiced on day 2, before the period"
    );
}

#[tokio::test]
async fn a_period_with_too_many_results_is_split() {
    let app = spawn_app_with(|s| s.search_max_results = 3).await;
    let client = app.active_client(TENANT_A.id).await;
    let seeded = app.seed(&client, &[2, 5, 8, 11, 14, 17, 19]).await;
    let (s, _, b) = app.search(TENANT_A.id, period(1, 28)).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(found_ids(&b), sorted_ids(&seeded));
    assert_eq!(b["not_found"], json!([]));

    // Part of the period only.
    let (s, _, b) = app.search(TENANT_A.id, period(5, 11)).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(found_ids(&b), sorted_ids(&seeded[1..4]));
}

#[tokio::test]
async fn nothing_found_is_an_empty_list_and_bad_criteria_are_422() {
    let app = spawn_app().await;
    let (s, _, b) = app
        .search(
            TENANT_A.id,
            json!({ "invoice_date_from": "2021-01-01", "invoice_date_to": "2021-01-31" }),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b, json!({ "payment_requests": [], "not_found": [] }));
    let (s, _, b) = app
        .search(TENANT_A.id, json!({ "ids": ["11000000000999"] }))
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        b,
        json!({ "payment_requests": [], "not_found": ["11000000000999"] })
    );

    let before = app.sim().token_requests();
    for (body, pointer) in [
        (json!({}), "/ids"),
        (json!({ "ids": [""] }), "/ids/0"),
        (
            json!({ "invoice_date_from": "2026-13-01" }),
            "/invoice_date_from",
        ),
        (
            json!({ "invoice_date_from": "2026-03-02", "invoice_date_to": "2026-03-01" }),
            "/invoice_date_to",
        ),
        (json!({ "id": ["x"] }), "/id"),
    ] {
        let got = app.search(TENANT_A.id, body.clone()).await;
        let p = assert_problem(&got, 422, "validation_failed");
        assert_eq!(pointers(&p)[0].0, pointer, "{body}: {p}");
    }
    assert_eq!(app.sim().token_requests(), before);
}

#[tokio::test]
async fn an_invoice_number_is_sent_trimmed_and_found_as_answered() {
    let app = spawn_app().await;
    let client = app.active_client(TENANT_A.id).await;
    let num = number("TRIM");
    let (s, _, b) = app
        .submit(TENANT_A.id, vec![invoice(&client, &format!("  {num} "))])
        .await;
    assert_eq!(s, 200, "{b}");
    let r = &b["results"][0];
    assert_eq!(r["invoice_number"], num.as_str());
    assert_eq!(r["payment_request"]["invoice_number"], num.as_str());
    let (s, _, found) = app
        .search(TENANT_A.id, json!({ "invoice_numbers": [num] }))
        .await;
    assert_eq!(s, 200, "{found}");
    assert_eq!(found["not_found"], json!([]), "{found}");
    assert_eq!(found["payment_requests"][0]["invoice_number"], num.as_str());
}

#[tokio::test]
async fn a_single_day_with_too_many_results_cannot_be_split() {
    let app = spawn_app_with(|s| s.search_max_results = 3).await;
    let client = app.active_client(TENANT_A.id).await;
    app.seed(&client, &[9, 9, 9, 9]).await;
    let got = app.search(TENANT_A.id, period(1, 28)).await;
    let p = assert_problem(&got, 422, "urssaf_rejected");
    assert_eq!(p["urssaf"]["code"], "ERR_NBRE_MAX_RESULTAT", "{p}");
    assert!(p["hint"].is_string());
    // A period without that day needs no split.
    let (s, _, b) = app
        .search(
            TENANT_A.id,
            json!({ "invoice_date_from": iso(last_month(10)) }),
        )
        .await;
    assert_eq!(
        (s, b["payment_requests"].as_array().map(Vec::len)),
        (200, Some(0)),
        "{b}"
    );
}
