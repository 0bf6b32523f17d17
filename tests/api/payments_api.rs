//! `/v1/payment-requests` end to end: submission, lifecycle, rejections, local rules.

use serde_json::{json, Value};

use crate::fixtures::*;
use crate::helpers::*;

const DAY: i64 = 86_400;

#[tokio::test]
async fn an_invoice_goes_from_integrated_to_paid() {
    let app = spawn_app().await;
    let client = app.active_client(TENANT_A.id).await;
    let num = number("F");
    let (s, h, b) = app.submit(TENANT_A.id, vec![invoice(&client, &num)]).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(content_type(&h), "application/json");
    let r = &b["results"][0];
    assert_eq!(b["results"].as_array().unwrap().len(), 1);
    assert_eq!(r["invoice_number"], num.as_str());
    assert_eq!(r["outcome"], "accepted");
    assert_eq!(r["reconciled"], false);
    assert_eq!(r["adjustments"], json!([]));
    assert_eq!(r["errors"], json!([]));
    let pr = &r["payment_request"];
    let id = pr["id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 14);
    assert_eq!(
        pr["status"],
        json!({"state": "integrated", "final": false, "urssaf_code": "10", "urssaf_label": "Intégrée"})
    );
    assert_eq!(
        pr["invoice"],
        json!({"invoice_date": iso(last_month(16)), "total_incl_tax": "50.00", "total_excl_tax": "45.45",
               "service_start": iso(last_month(2)), "service_end": iso(last_month(15)), "deposit": null})
    );
    assert_eq!(app.sim().submissions(), 1);

    let steps = [
        (0, "20", "awaiting_client_validation"),
        (2 * DAY, "30", "validated"),
        (2 * DAY, "50", "debited"),
    ];
    for (advance, code, state) in steps {
        app.advance(advance).await;
        let p = app.status_of(&id).await;
        assert_eq!(p["status"]["urssaf_code"], code, "{p}");
        assert_eq!(p["status"]["state"], state, "{p}");
        assert_eq!(p["status"]["final"], false, "{p}");
        assert!(p["transfer"].is_null(), "{p}");
        assert_eq!(p["invoice_number"], num.as_str());
        assert_eq!(p["client_id"], client.as_str());
    }
    app.advance(2 * DAY).await;
    let p = app.status_of(&id).await;
    // Integrated on the 20th of last month at noon; validated 48 h later, debited 2 days
    // after, paid 2 days after that: the 26th, in the past.
    assert_eq!(
        p["status"],
        json!({"state": "paid", "final": true, "urssaf_code": "70", "urssaf_label": "Payée"}),
        "{p}"
    );
    assert_eq!(
        p["transfer"],
        json!({"amount": "50.00", "date": iso(last_month(26))})
    );
    assert!(p["rejection"].is_null());
}

#[tokio::test]
async fn status_70_with_a_future_transfer_is_payment_scheduled_and_40_is_refused() {
    let app = spawn_app().await;
    let client = app.active_client(TENANT_A.id).await;
    let (s, _, b) = app
        .submit(
            TENANT_A.id,
            vec![
                invoice(&client, &number("S")),
                invoice(&client, &number("R")),
            ],
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let scheduled = b["results"][0]["payment_request"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let refused = b["results"][1]["payment_request"]["id"]
        .as_str()
        .unwrap()
        .to_string();

    let future = chrono::Utc::now().date_naive() + chrono::Duration::days(10);
    app.set_payment_status(
        &scheduled,
        json!({"code": "70", "info_virement": {"amount": 50, "date": format!("{}T00:00:00Z", iso(future))}}),
    )
    .await;
    let p = app.status_of(&scheduled).await;
    assert_eq!(p["status"]["state"], "payment_scheduled", "{p}");
    assert_eq!(p["status"]["final"], false, "{p}");
    assert_eq!(p["status"]["urssaf_code"], "70");
    assert_eq!(
        p["transfer"],
        json!({"amount": "50.00", "date": iso(future)})
    );

    app.set_payment_status(
        &refused,
        json!({"code": "40", "info_rejet": {"code": "CONTEST_ERR_FACT", "commentaire": "Heures fausses"}}),
    )
    .await;
    app.advance(30 * DAY).await;
    let p = app.status_of(&refused).await;
    assert_eq!(
        p["status"],
        json!({"state": "refused", "final": true, "urssaf_code": "40", "urssaf_label": "Refusée"})
    );
    assert_eq!(
        p["rejection"],
        json!({"code": "CONTEST_ERR_FACT", "category": "contestation",
               "label": "The invoice contains an error", "comment": "Heures fausses"})
    );
    assert!(p["transfer"].is_null());
}

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

#[tokio::test]
async fn a_single_invoice_urssaf_holds_with_another_content_is_a_409() {
    let app = spawn_app().await;
    let client = app.active_client(TENANT_A.id).await;
    let num = number("D");
    let (s, _, b) = app.submit(TENANT_A.id, vec![invoice(&client, &num)]).await;
    assert_eq!(s, 200, "{b}");
    let mut changed = invoice(&client, &num);
    changed["lines"][0]["quantity"] = json!("3");
    let got = app.submit(TENANT_A.id, vec![changed]).await;
    let p = assert_problem(&got, 409, "urssaf_conflict");
    assert_eq!(p["urssaf"]["code"], "ERR_FACTURE_DOUBLON", "{p}");
    assert!(p["hint"].is_string());
    assert_eq!(p["results"][0]["outcome"], "rejected", "{p}");
    assert_eq!(p["results"][0]["invoice_number"], num.as_str());

    // Same number, client and total, but another service period: not the same invoice.
    let mut moved = invoice(&client, &num);
    moved["lines"][0]["service_start"] = json!(iso(last_month(16)));
    moved["lines"][0]["service_end"] = json!(iso(last_month(19)));
    let got = app.submit(TENANT_A.id, vec![moved]).await;
    let p = assert_problem(&got, 409, "urssaf_conflict");
    assert_eq!(p["results"][0]["reconciled"], false, "{p}");
    // Same again with another invoice date.
    let mut redated = invoice(&client, &num);
    redated["invoice_date"] = json!(iso(last_month(18)));
    let got = app.submit(TENANT_A.id, vec![redated]).await;
    assert_problem(&got, 409, "urssaf_conflict");
    // The very same invoice again is reconciled, not a conflict.
    let (s, _, b) = app.submit(TENANT_A.id, vec![invoice(&client, &num)]).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["results"][0]["reconciled"], true, "{b}");

    // Every invoice rejected by Urssaf (several): 422 with each result.
    let unknown = "af0be430-908a-11eb-a8b3-0242ac130003";
    let got = app
        .submit(
            TENANT_A.id,
            vec![
                invoice(unknown, &number("U")),
                invoice(unknown, &number("U")),
            ],
        )
        .await;
    let p = assert_problem(&got, 422, "urssaf_rejected");
    assert_eq!(p["results"].as_array().unwrap().len(), 2, "{p}");
}

type Break = fn(&mut Value);
type RuleCase = (&'static str, Break, &'static [(&'static str, &'static str)]);

fn two_months_ago(day: u32) -> String {
    let d = month_start() - chrono::Duration::days(1);
    iso(chrono::Datelike::with_day(&d, day).unwrap())
}

#[tokio::test]
async fn every_local_rule_answers_422_with_pointers_and_nothing_is_sent() {
    let app = spawn_app().await;
    let client = "af0be430-908a-11eb-a8b3-0242ac130003";
    let cases: Vec<RuleCase> = vec![
        (
            "two months",
            |b| b["invoices"][0]["lines"][0]["service_start"] = json!(two_months_ago(20)),
            &[("/invoices/0/service_end", "same_month")],
        ),
        (
            "future",
            |b| {
                let d = iso(chrono::Utc::now().date_naive() + chrono::Duration::days(40));
                b["invoices"][0]["service_start"] = json!(d.clone());
                b["invoices"][0]["service_end"] = json!(d.clone());
                b["invoices"][0]["lines"][0]["service_start"] = json!(d.clone());
                b["invoices"][0]["lines"][0]["service_end"] = json!(d);
            },
            &[
                ("/invoices/0/service_start", "not_in_future"),
                ("/invoices/0/service_end", "not_in_future"),
                ("/invoices/0/lines/0/service_start", "not_in_future"),
                ("/invoices/0/lines/0/service_end", "not_in_future"),
            ],
        ),
        (
            "deposit above half",
            |b| {
                b["invoices"][0]["deposit"] =
                    json!({"amount": "25.01", "paid_on": iso(last_month(1))})
            },
            &[("/invoices/0/deposit/amount", "deposit_at_most_half")],
        ),
        (
            "nature code",
            |b| b["invoices"][0]["lines"][0]["nature_code"] = json!("65"),
            &[("/invoices/0/lines/0/nature_code", "nature_code")],
        ),
        (
            "3 decimals on a quantity",
            |b| b["invoices"][0]["lines"][0]["quantity"] = json!("2.001"),
            &[("/invoices/0/lines/0/quantity", "decimal_places")],
        ),
        (
            "4 decimals on a unit price",
            |b| b["invoices"][0]["lines"][0]["unit_price"] = json!("25.0001"),
            &[("/invoices/0/lines/0/unit_price", "decimal_places")],
        ),
        (
            "3 decimals on a total",
            |b| b["invoices"][0]["total_incl_tax"] = json!("50.001"),
            &[("/invoices/0/total_incl_tax", "decimal_places")],
        ),
        (
            "negative",
            |b| b["invoices"][0]["lines"][0]["unit_price"] = json!("-25.00"),
            &[("/invoices/0/lines/0/unit_price", "non_negative")],
        ),
        (
            "not a number",
            |b| b["invoices"][0]["lines"][0]["quantity"] = json!("two"),
            &[("/invoices/0/lines/0/quantity", "decimal")],
        ),
        (
            "vat rate with amounts",
            |b| b["invoices"][0]["lines"][0]["total_excl_tax"] = json!("45.45"),
            &[("/invoices/0/lines/0/vat_rate", "vat_rate_or_amounts")],
        ),
        (
            "bad worker id",
            |b| b["invoices"][0]["lines"][0]["worker_id"] = json!("SAP12"),
            &[("/invoices/0/lines/0/worker_id", "worker_id")],
        ),
        (
            "same number twice",
            |b| {
                let again = b["invoices"][0].clone();
                b["invoices"].as_array_mut().unwrap().push(again);
            },
            &[("/invoices/1/invoice_number", "unique")],
        ),
        (
            "no invoices",
            |b| b["invoices"] = json!([]),
            &[("/invoices", "min_items")],
        ),
        (
            "no lines",
            |b| b["invoices"][0]["lines"] = json!([]),
            &[("/invoices/0/lines", "required")],
        ),
        (
            "unknown field",
            |b| b["invoices"][0]["lines"][0]["colour"] = json!("blue"),
            &[("/invoices/0/lines/0/colour", "unknown_field")],
        ),
        (
            "unknown top field",
            |b| b["dry_run"] = json!(true),
            &[("/dry_run", "unknown_field")],
        ),
        (
            "wrong type",
            |b| b["invoices"][0]["lines"][0]["quantity"] = json!(2),
            &[("/invoices/0/lines/0/quantity", "type")],
        ),
        (
            "bad unit",
            |b| b["invoices"][0]["lines"][0]["unit"] = json!("day"),
            &[("/invoices/0/lines/0/unit", "type")],
        ),
        (
            "half a euro off",
            |b| b["invoices"][0]["total_incl_tax"] = json!("50.50"),
            &[("/invoices/0/total_incl_tax", "total_mismatch")],
        ),
        (
            "the second invoice",
            |b| {
                let mut second = b["invoices"][0].clone();
                second["invoice_number"] = json!("OTHER-1");
                second["client_birth_date"] = json!("1980-02-30");
                b["invoices"].as_array_mut().unwrap().push(second);
            },
            &[("/invoices/1/client_birth_date", "date")],
        ),
    ];
    for (name, breaks, expected) in cases {
        let mut body = json!({ "invoices": [invoice(client, &number("L"))] });
        breaks(&mut body);
        let got = app.post(TENANT_A.id, "/v1/payment-requests", &body).await;
        let b = assert_problem(&got, 422, "validation_failed");
        let mut have = pointers(&b);
        let mut want: Vec<(String, String)> = expected
            .iter()
            .map(|(p, r)| (p.to_string(), r.to_string()))
            .collect();
        have.sort();
        want.sort();
        assert_eq!(have, want, "{name}: {b}");
    }
    assert_eq!(app.sim().submissions(), 0);
    assert_eq!(app.sim().token_requests(), 0);
}

#[tokio::test]
async fn without_a_default_worker_id_each_line_needs_one() {
    let app = TestApp::builder()
        .unset("GATEWAY__TENANTS__ALPHA__WORKER_ID")
        .unset("GATEWAY__TENANTS__BETA__WORKER_ID")
        .start()
        .await;
    let got = app
        .submit(TENANT_A.id, vec![invoice("some-client", &number("W"))])
        .await;
    let b = assert_problem(&got, 422, "validation_failed");
    assert_eq!(
        pointers(&b),
        vec![(
            "/invoices/0/lines/0/worker_id".to_string(),
            "required".to_string()
        )]
    );
    assert_eq!(app.sim().submissions(), 0);
}

#[tokio::test]
async fn a_total_one_cent_off_is_adjusted_and_reported() {
    let app = spawn_app().await;
    let client = app.active_client(TENANT_A.id).await;
    let mut inv = invoice(&client, &number("C"));
    inv["total_incl_tax"] = json!("50.01");
    let (s, _, b) = app.submit(TENANT_A.id, vec![inv]).await;
    assert_eq!(s, 200, "{b}");
    let r = &b["results"][0];
    assert_eq!(r["outcome"], "accepted", "{b}");
    let adj = r["adjustments"].as_array().unwrap();
    assert_eq!(adj.len(), 1, "{b}");
    assert_eq!(adj[0]["pointer"], "/invoices/0/lines/0/unit_price");
    assert_eq!(adj[0]["field"], "mntUnitaireTTC");
    assert_eq!(adj[0]["original"], "25");
    assert_eq!(adj[0]["adjusted"], "25.005");
    assert!(adj[0]["reason"].as_str().is_some_and(|r| !r.is_empty()));
    assert_eq!(
        r["payment_request"]["invoice"]["total_incl_tax"], "50.01",
        "{b}"
    );
}

#[tokio::test]
async fn a_tenant_cannot_read_another_tenants_payment_requests() {
    let app = spawn_app().await;
    let client = app.active_client(TENANT_A.id).await;
    let num = number("T");
    let (s, _, b) = app.submit(TENANT_A.id, vec![invoice(&client, &num)]).await;
    assert_eq!(s, 200, "{b}");
    let id = b["results"][0]["payment_request"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let got = app
        .get(TENANT_B.id, &format!("/v1/payment-requests/{id}"))
        .await;
    assert_problem(&got, 404, "not_found");
    let (s, _, b) = app
        .search(TENANT_B.id, json!({"ids": [id], "invoice_numbers": [num]}))
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b, json!({"payment_requests": [], "not_found": [id, num]}));
    // Tenant B cannot invoice tenant A's client either.
    let got = app
        .submit(TENANT_B.id, vec![invoice(&client, &number("T"))])
        .await;
    let p = assert_problem(&got, 422, "urssaf_rejected");
    assert_eq!(p["urssaf"]["code"], "ERR_PARTICULIER_INCONNU", "{p}");
    // Malformed id: 422, not sent.
    let got = app.get(TENANT_A.id, "/v1/payment-requests/a%20b").await;
    assert_problem(&got, 422, "validation_failed");
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

#[tokio::test]
async fn a_deposit_is_echoed_and_deducted_from_the_transfer() {
    let app = spawn_app().await;
    let client = app.active_client(TENANT_A.id).await;
    let mut inv = invoice(&client, &number("DEP"));
    inv["deposit"] = json!({"amount": "20.00", "paid_on": iso(last_month(1))});
    inv["total_incl_tax"] = json!("50.00");
    let (s, _, b) = app.submit(TENANT_A.id, vec![inv]).await;
    assert_eq!(s, 200, "{b}");
    let pr = &b["results"][0]["payment_request"];
    assert_eq!(
        pr["invoice"]["deposit"],
        json!({"amount": "20.00", "paid_on": iso(last_month(1))})
    );
    let id = pr["id"].as_str().unwrap().to_string();
    app.advance(10 * DAY).await;
    let p = app.status_of(&id).await;
    assert_eq!(p["status"]["state"], "paid", "{p}");
    assert_eq!(p["transfer"]["amount"], "30.00", "{p}");
    assert_eq!(p["invoice"]["deposit"]["amount"], "20.00", "{p}");
}

#[tokio::test]
async fn urssaf_unreachable_answers_503_for_every_payment_request_call() {
    let app = spawn_app_without_urssaf().await;
    let got = app.submit(TENANT_A.id, vec![invoice("c", "F-1")]).await;
    let p = assert_problem(&got, 503, "upstream_unavailable");
    assert!(got.1.get("retry-after").is_some());
    assert_eq!(p["results"][0]["outcome"], "failed", "{p}");
    let ids = json!({ "ids": ["11000000000100"] });
    let got = app.search(TENANT_A.id, ids).await;
    assert_problem(&got, 503, "upstream_unavailable");
    assert!(got.1.get("retry-after").is_some());
    let got = app
        .get(TENANT_A.id, "/v1/payment-requests/11000000000100")
        .await;
    assert_problem(&got, 503, "upstream_unavailable");
}

#[tokio::test]
async fn an_invoice_refused_earlier_is_not_taken_for_the_new_submission() {
    let app = spawn_app().await;
    let client = app.active_client(TENANT_A.id).await;
    let inv = invoice(&client, &number("REF"));
    let (s, _, b) = app.submit(TENANT_A.id, vec![inv.clone()]).await;
    assert_eq!(s, 200, "{b}");
    let id = b["results"][0]["payment_request"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.set_payment_status(
        &id,
        json!({"code": "40", "info_rejet": {"code": "CONTEST_ERR_FACT", "commentaire": "non"}}),
    )
    .await;
    // The same invoice again: Urssaf keeps the number of the refused request.
    let got = app.submit(TENANT_A.id, vec![inv]).await;
    let p = assert_problem(&got, 409, "urssaf_conflict");
    assert_eq!(p["results"][0]["reconciled"], false, "{p}");
    assert_eq!(
        p["results"][0]["errors"][0]["urssaf"]["code"],
        "ERR_FACTURE_DOUBLON"
    );
}
