//! Bounded fan-out: a submission or a search past the configured sizes is refused before any
//! Urssaf call, naming the field.

use serde_json::json;

use crate::fixtures::*;
use crate::helpers::*;

#[tokio::test]
async fn submissions_and_searches_past_the_limits_are_refused_naming_the_field() {
    let app = TestApp::builder()
        .setting("GATEWAY__LIMITS__MAX_INVOICES_PER_SUBMISSION", "2")
        .setting("GATEWAY__LIMITS__MAX_SEARCH_VALUES", "3")
        .start()
        .await;
    let invoices: Vec<_> = (0..3).map(|i| invoice("c", &format!("F-{i}"))).collect();
    let got = app
        .post(
            TENANT_A.id,
            "/v1/payment-requests",
            &json!({ "invoices": invoices }),
        )
        .await;
    let b = assert_problem(&got, 422, "validation_failed");
    assert_eq!(
        pointers(&b),
        vec![("/invoices".to_string(), "max_items".to_string())]
    );

    let got = app
        .post(
            TENANT_A.id,
            "/v1/payment-requests/search",
            &json!({ "ids": ["1", "2", "3", "4"], "invoice_numbers": ["F-1"] }),
        )
        .await;
    let b = assert_problem(&got, 422, "validation_failed");
    assert_eq!(
        pointers(&b),
        vec![("/ids".to_string(), "max_items".to_string())]
    );
    assert_eq!(app.sim().token_requests(), 0, "nothing reached Urssaf");

    // At the limits: served.
    let got = app
        .post(
            TENANT_A.id,
            "/v1/payment-requests/search",
            &json!({ "ids": ["1", "2", "3"], "invoice_numbers": ["F-1", "F-2", "F-3"] }),
        )
        .await;
    assert_eq!(got.0, 200, "{}", got.2);
}
