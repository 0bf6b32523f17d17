//! The contract with Urssaf, what the gateway reads: a capturing server answers with each
//! literal answer fixture of `tests/fixtures/urssaf/` and the public answer must be the one
//! the API promises. Hints and request ids are left out of the comparisons: they are prose
//! and noise, not what the fixtures carry.

use serde_json::{json, Value};

use crate::capture::*;
use crate::contract_sent::{gateway_for, registration_born_in_france, submission, CLIENT};
use crate::fixtures::*;

/// `v` without the keys that carry prose or per-request values.
fn data(v: &Value) -> Value {
    match v {
        Value::Object(m) => m
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "hint" | "request_id" | "detail"))
            .map(|(k, v)| (k.clone(), data(v)))
            .collect(),
        Value::Array(a) => a.iter().map(data).collect(),
        other => other.clone(),
    }
}

fn account_pending() -> Value {
    json!({
        "state": "pending_activation", "can_receive_payment_requests": false, "active_since": null,
        "urssaf": { "code": "APPAREILLAGE_EC", "etat": "KO",
                    "description": "Transmission DP impossible, appareillage en cours de traitement" }
    })
}

fn client(account: Value) -> Value {
    json!({ "client_id": CLIENT, "birth_name": "Durand", "usage_name": "Martin",
            "first_names": "Jeanne Marie", "account": account })
}

#[tokio::test]
async fn client_answers_are_read() {
    let capture = Capture::start();
    capture.answer("POST", PARTICULIER, 200, &fixture("e1-answer.json"));
    capture.answer("GET", PARTICULIER, 200, &fixture("e2-answer.json"));
    let app = gateway_for(&capture).start().await;
    let (s, _, b) = app.register("alpha", &registration_born_in_france()).await;
    assert_eq!(s, 201, "{b}");
    let registered = json!({ "client_id": CLIENT, "account": account_pending() });
    assert_eq!(b, registered);
    let path = format!("/v1/clients/{CLIENT}");
    let (s, _, b) = app.get("alpha", &path).await;
    assert_eq!((s, b), (200, client(account_pending())));

    // The status as a one-element array.
    capture.answer("GET", PARTICULIER, 200, &fixture("e2-answer-array.json"));
    let active = client(json!({
        "state": "active", "can_receive_payment_requests": true, "active_since": "2026-03-02",
        "urssaf": { "code": "APPAREILLAGE_VALIDE", "etat": "OK",
                    "description": "Transmission DP possible à partir du 02/03/2026 10:15:00" }
    }));
    let (s, _, b) = app.get("alpha", &path).await;
    assert_eq!((s, b), (200, active.clone()));
    let by_mail = "/v1/clients?email=jeanne.durand@example.org";
    let (s, _, b) = app.get("alpha", by_mail).await;
    assert_eq!((s, b), (200, active));
}

/// The invoices of [`submission`] as the public API shows them.
fn invoices() -> [Value; 2] {
    [
        json!({ "invoice_date": "2026-03-16", "total_incl_tax": "50.00", "total_excl_tax": "45.45",
                "service_start": "2026-03-02", "service_end": "2026-03-15",
                "deposit": { "amount": "20.00", "paid_on": "2026-03-01" } }),
        json!({ "invoice_date": "2026-03-31", "total_incl_tax": "45.00", "total_excl_tax": "40.91",
                "service_start": "2026-03-20", "service_end": "2026-03-27", "deposit": null }),
    ]
}

/// Payment request `n` (0 or 1) of the fixtures with the given status, transfer and rejection.
fn payment_request(n: usize, status: Value, transfer: Value, rejection: Value) -> Value {
    json!({
        "id": format!("1100000000010{n}"), "invoice_number": format!("FAC-2026-000{}", n + 1),
        "client_id": CLIENT, "invoice": invoices()[n].clone(),
        "status": status, "transfer": transfer, "rejection": rejection
    })
}

fn integrated(n: usize) -> Value {
    let status = json!({ "state": "integrated", "final": false, "urssaf_code": "10", "urssaf_label": "Intégrée" });
    payment_request(n, status, Value::Null, Value::Null)
}

fn accepted(n: usize) -> Value {
    json!({ "invoice_number": format!("FAC-2026-000{}", n + 1), "outcome": "accepted",
            "reconciled": false, "adjustments": [], "errors": [], "payment_request": integrated(n) })
}

/// Invoice `n` refused by Urssaf as unknown client.
fn rejected(n: usize) -> Value {
    let urssaf = fixture_json("e3-answer-400.json")[0].clone();
    json!({ "invoice_number": format!("FAC-2026-000{}", n + 1), "outcome": "rejected",
            "reconciled": false, "adjustments": [], "payment_request": null,
            "errors": [{ "rule": "urssaf_rejected", "pointer": format!("/invoices/{n}/client_id"),
                         "message": urssaf["description"], "urssaf": urssaf }] })
}

#[tokio::test]
async fn submission_answers_are_read() {
    let capture = Capture::start();
    let app = gateway_for(&capture).start().await;
    let body = submission();
    let submit = || app.post("alpha", "/v1/payment-requests", &body);

    capture.answer("POST", DEMANDE, 200, &fixture("e3-answer-integrated.json"));
    let (s, _, b) = submit().await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b, json!({ "results": [accepted(0), accepted(1)] }));

    capture.answer("POST", DEMANDE, 200, &fixture("e3-answer-item-errors.json"));
    let (s, _, b) = submit().await;
    assert_eq!(s, 207, "{b}");
    assert_eq!(data(&b), json!({ "results": [accepted(0), rejected(1)] }));

    // A 400 for the whole call: each invoice is sent again alone, and refused alone.
    capture.answer("POST", DEMANDE, 400, &fixture("e3-answer-400.json"));
    capture.take("POST", DEMANDE);
    let got = submit().await;
    let p = assert_problem(&got, 422, "urssaf_rejected");
    assert_eq!(p["urssaf"], fixture_json("e3-answer-400.json")[0]);
    assert_eq!(data(&p["results"]), json!([rejected(0), rejected(1)]));
    assert_eq!(
        capture.take("POST", DEMANDE).len(),
        3,
        "the batch, then one by one"
    );
}

#[tokio::test]
async fn search_answers_are_read() {
    let capture = Capture::start();
    let app = gateway_for(&capture).start().await;
    let paid = payment_request(
        0,
        json!({ "state": "paid", "final": true, "urssaf_code": "70", "urssaf_label": "Payée" }),
        json!({ "amount": "30.00", "date": "2026-03-26" }),
        Value::Null,
    );
    let refused = payment_request(
        1,
        json!({ "state": "refused", "final": true, "urssaf_code": "40", "urssaf_label": "Refusée" }),
        Value::Null,
        json!({ "code": "CONTEST_ERR_FACT", "category": "contestation",
                "label": "The invoice contains an error", "comment": "Heures fausses" }),
    );
    let ids = json!({ "ids": ["11000000000100", "11000000000101", "11000000000199"] });
    // Urssaf's non-blocking errors spelled `errors`, then `Errors`: the same answer.
    for name in [
        "e4-answer-found.json",
        "e4-answer-found-capital-errors.json",
    ] {
        capture.answer("POST", RECHERCHE, 200, &fixture(name));
        let (s, _, b) = app.search("alpha", ids.clone()).await;
        assert_eq!(s, 200, "{name}: {b}");
        let want = json!({ "payment_requests": [paid, refused], "not_found": ["11000000000199"] });
        assert_eq!(b, want, "{name}");
    }
    let (s, _, b) = app
        .get("alpha", "/v1/payment-requests/11000000000101")
        .await;
    assert_eq!((s, b), (200, refused));

    // Nothing found is Urssaf's 400 ERR_RECHERCHE_VIDE: an empty result, not an error.
    capture.answer(
        "POST",
        RECHERCHE,
        400,
        &fixture("e4-answer-nothing-found.json"),
    );
    let (s, _, b) = app.search("alpha", ids).await;
    let none = json!({ "payment_requests": [],
                       "not_found": ["11000000000100", "11000000000101", "11000000000199"] });
    assert_eq!((s, b), (200, none));
    let got = app
        .get("alpha", "/v1/payment-requests/11000000000100")
        .await;
    assert_problem(&got, 404, "not_found");
}

#[tokio::test]
async fn every_error_shape_is_read() {
    let capture = Capture::start();
    let app = gateway_for(&capture).start().await;
    let body = registration_born_in_france();
    let register = || app.register("alpha", &body);
    for name in ["error-array.json", "error-object.json"] {
        capture.answer("POST", PARTICULIER, 400, &fixture(name));
        let got = register().await;
        let p = assert_problem(&got, 422, "urssaf_rejected");
        let erreur = fixture_json("error-array.json")[0].clone();
        assert_eq!(p["urssaf"], erreur, "{name}");
        assert!(p["hint"].is_string(), "{name}: a known code has a hint");
    }
    for name in ["error-empty-array.json", "error-empty.body"] {
        capture.answer("POST", PARTICULIER, 400, &fixture(name));
        let got = register().await;
        let p = assert_problem(&got, 422, "urssaf_rejected");
        assert!(p["urssaf"].is_null(), "{name}: {p}");
        let detail = p["detail"].as_str().unwrap_or_default();
        assert!(detail.contains("without saying why"), "{name}: {p}");
    }
}
