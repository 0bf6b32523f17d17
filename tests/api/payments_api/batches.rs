//! Batches: sent in chunks of 10 and answered in order, a refused chunk resent one by one,
//! lost answers reconciled.

use serde_json::{json, Value};

use crate::fixtures::*;
use crate::helpers::*;

#[tokio::test]
async fn a_batch_of_25_is_sent_in_3_calls_and_answered_in_order() {
    let app = spawn_app().await;
    let client = app.active_client(TENANT_A.id).await;
    // Urssaf already holds an invoice under this number, with another total.
    let taken = number("TAKEN");
    let mut first = invoice(&client, &taken);
    first["lines"][0]["quantity"] = json!("3");
    let (s, _, b) = app.submit(TENANT_A.id, vec![first]).await;
    assert_eq!(s, 200, "{b}");
    let before = app.sim().submissions();

    let unknown_client = "af0be430-908a-11eb-a8b3-0242ac130003";
    let numbers: Vec<String> = (0..25).map(|i| format!("{}-{i:02}", number("B"))).collect();
    let invoices: Vec<Value> = numbers
        .iter()
        .enumerate()
        .map(|(i, n)| match i {
            3 | 17 => invoice(unknown_client, n),
            12 => invoice(&client, &taken),
            _ => invoice(&client, n),
        })
        .collect();
    let (s, h, b) = app.submit(TENANT_A.id, invoices).await;
    assert_eq!(s, 207, "{b}");
    assert_eq!(content_type(&h), "application/json");
    assert_eq!(app.sim().submissions() - before, 3);
    let results = b["results"].as_array().unwrap();
    assert_eq!(results.len(), 25);
    let mut ids = std::collections::HashSet::new();
    for (i, r) in results.iter().enumerate() {
        let want = if i == 12 { &taken } else { &numbers[i] };
        assert_eq!(r["invoice_number"], want.as_str(), "#{i}");
        match i {
            3 | 17 => {
                assert_eq!(r["outcome"], "rejected", "#{i}: {r}");
                assert!(r["payment_request"].is_null());
                let e = &r["errors"][0];
                assert_eq!(e["rule"], "urssaf_rejected");
                assert_eq!(e["urssaf"]["code"], "ERR_PARTICULIER_INCONNU", "{r}");
                assert_eq!(e["pointer"], format!("/invoices/{i}/client_id"), "{r}");
                assert!(e["hint"].is_string());
            }
            12 => {
                assert_eq!(r["outcome"], "rejected", "#{i}: {r}");
                assert_eq!(r["reconciled"], false);
                assert_eq!(
                    r["errors"][0]["urssaf"]["code"], "ERR_FACTURE_DOUBLON",
                    "{r}"
                );
                assert_eq!(
                    r["errors"][0]["pointer"], "/invoices/12/invoice_number",
                    "{r}"
                );
            }
            _ => {
                assert_eq!(r["outcome"], "accepted", "#{i}: {r}");
                assert_eq!(r["errors"], json!([]));
                assert_eq!(r["payment_request"]["invoice_number"], numbers[i].as_str());
                assert!(ids.insert(r["payment_request"]["id"].as_str().unwrap().to_string()));
            }
        }
    }
    assert_eq!(ids.len(), 22);
}

/// 25 invoices, #3 and #17 for an unknown client.
fn batch(client: &str) -> (Vec<String>, Vec<Value>) {
    let unknown_client = "af0be430-908a-11eb-a8b3-0242ac130003";
    let numbers: Vec<String> = (0..25).map(|i| format!("{}-{i:02}", number("B"))).collect();
    let invoices = numbers
        .iter()
        .enumerate()
        .map(|(i, n)| match i {
            3 | 17 => invoice(unknown_client, n),
            _ => invoice(client, n),
        })
        .collect();
    (numbers, invoices)
}

#[tokio::test]
async fn when_urssaf_refuses_a_whole_call_the_chunk_is_resent_one_by_one() {
    let app = spawn_app_with(|s| s.business_errors_as_400 = true).await;
    let client = app.active_client(TENANT_A.id).await;
    let (numbers, invoices) = batch(&client);
    let (s, _, b) = app.submit(TENANT_A.id, invoices).await;
    assert_eq!(s, 207, "{b}");
    // 3 chunks; the first two (holding #3 and #17) refused whole, then sent 10 + 10 singly.
    assert_eq!(app.sim().submissions(), 23);
    let results = b["results"].as_array().unwrap();
    assert_eq!(results.len(), 25);
    for (i, r) in results.iter().enumerate() {
        assert_eq!(r["invoice_number"], numbers[i].as_str());
        let want = if i == 3 || i == 17 {
            "rejected"
        } else {
            "accepted"
        };
        assert_eq!(r["outcome"], want, "#{i}: {r}");
    }
    assert_eq!(
        results[17]["errors"][0]["urssaf"]["code"],
        "ERR_PARTICULIER_INCONNU"
    );
}

#[tokio::test]
async fn a_batch_whose_answers_are_all_lost_is_reconciled() {
    let app = spawn_app().await;
    let client = app.active_client(TENANT_A.id).await;
    app.faults(json!({ "drop_after_accept": true })).await;
    let (numbers, invoices) = batch(&client);
    let (s, _, b) = app.submit(TENANT_A.id, invoices).await;
    assert_eq!(s, 207, "{b}");
    assert_eq!(app.sim().submissions(), 3);
    for (i, r) in b["results"].as_array().unwrap().iter().enumerate() {
        assert_eq!(r["invoice_number"], numbers[i].as_str());
        if i == 3 || i == 17 {
            // Never integrated: the outcome is known now (not sent), safe to resend.
            assert_eq!(r["outcome"], "failed", "#{i}: {r}");
            assert_eq!(r["reconciled"], false);
            assert_eq!(r["errors"][0]["rule"], "upstream_interrupted", "#{i}: {r}");
        } else {
            assert_eq!(r["outcome"], "accepted", "#{i}: {r}");
            assert_eq!(r["reconciled"], true, "#{i}: {r}");
            assert_eq!(r["payment_request"]["invoice_number"], numbers[i].as_str());
        }
    }
}

/// Urssaf names a line's date in its business error (`inputPrestations[0].dateDebutEmploi`):
/// the error points at that line, not at the invoice.
#[tokio::test]
async fn a_line_level_urssaf_error_points_at_the_line() {
    let app = spawn_app().await;
    // Active from the 10th: the services from the 2nd predate the link.
    app.set_clock(&at(last_month(10), 0)).await;
    let (s, _, b) = app.register(TENANT_A.id, &client_body()).await;
    assert_eq!(s, 201, "{b}");
    app.set_clock(&at(last_month(20), 12)).await;
    let client = b["client_id"].as_str().unwrap();
    let (s, _, b) = app
        .submit(TENANT_A.id, vec![invoice(client, &number("LINE"))])
        .await;
    assert_eq!(s, 422, "{b}");
    let errors = b["results"][0]["errors"].as_array().unwrap();
    let on_the_line: Vec<&Value> = errors
        .iter()
        .filter(|e| e["pointer"] == "/invoices/0/lines/0/service_start")
        .collect();
    assert_eq!(on_the_line.len(), 1, "{b}");
    assert_eq!(
        on_the_line[0]["urssaf"]["code"], "ERR_LIEN_PARTICULIER_PRESTATAIRE",
        "{b}"
    );
}
