//! `/v1/payment-requests` end to end: submission, lifecycle, rejections (batches and the
//! gateway's own rules in `batches.rs` and `local_rules.rs`).

mod batches;
mod local_rules;

use serde_json::json;

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
