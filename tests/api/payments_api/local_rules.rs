//! The gateway's own rules on a submission: each broken one a 422 naming the field, nothing
//! sent; what it adjusts instead of refusing.

use serde_json::{json, Value};

use crate::fixtures::*;
use crate::helpers::*;

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
