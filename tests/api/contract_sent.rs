//! The contract with Urssaf, what the gateway sends: a capturing server stands in for Urssaf
//! and every request body, query string and token form must equal the literal fixtures of
//! `tests/fixtures/urssaf/`, written from the API's documentation rather than from the
//! gateway's wire structs (which the simulator shares, so a misnamed field would pass every
//! other test).

use serde_json::{json, Value};

use crate::capture::*;
use crate::helpers::*;

/// The client id of the fixtures.
pub const CLIENT: &str = "af0be430-908a-11eb-a8b3-0242ac130003";

/// A gateway for tenant A in front of `capture`, billing as the fixtures do.
pub fn gateway_for(capture: &Capture) -> TestAppBuilder {
    TestApp::builder()
        .upstream(&capture.url)
        .tenants(&[&TENANT_A])
        .setting("GATEWAY__TENANTS__ALPHA__BILLING_ID", "menage.fr")
}

/// The public registration that `e1-request-born-in-france.json` translates.
pub fn registration_born_in_france() -> Value {
    json!({
        "title": "mrs", "birth_name": "Durand", "usage_name": "Martin",
        "first_names": "Jeanne Marie", "birth_date": "1980-03-29",
        "birth_place": { "country_code": "99100", "commune_code": "44109", "commune_name": "Nantes" },
        "mobile_phone": "06 05 04 03 02", "email": "jeanne.durand@example.org",
        "address": {
            "street_number": "12", "street_letter": "bis", "street_type": "R", "street_name": "de la Paix",
            "commune_code": "44109", "commune_name": "Nantes", "postal_code": "44000", "country_code": "99100"
        },
        "bank_account": { "iban": "FR76 3000 4000 0312 3456 7890 143", "bic": "BNPAFRPP", "holder": "Mme Jeanne Durand" }
    })
}

/// The public registration that `e1-request-born-abroad.json` translates.
fn registration_born_abroad() -> Value {
    json!({
        "title": "mr", "birth_name": "Schmidt", "first_names": "Hans Peter", "birth_date": "1975-07-14",
        "birth_place": { "country_code": "99109" },
        "mobile_phone": "+33 7 12 34 56 78", "email": "hans.schmidt@example.org",
        "address": {
            "complement": "Résidence des Pins", "locality": "Le Bourg",
            "commune_code": "2A004", "commune_name": "Ajaccio", "postal_code": "20000"
        },
        "bank_account": { "iban": "DE89 3704 0044 0532 0130 00", "bic": "COBADEFFXXX", "holder": "M. Hans Peter Schmidt" }
    })
}

/// The public submission that `e3-request.json` translates: two invoices.
pub fn submission() -> Value {
    json!({ "invoices": [
        {
            "invoice_number": "FAC-2026-0001", "invoice_date": "2026-03-16",
            "client_id": CLIENT, "client_birth_date": "1980-03-29",
            "deposit": { "amount": "20.00", "paid_on": "2026-03-01" },
            "lines": [{
                "nature_code": "60", "quantity": "2", "unit": "hour", "unit_price": "25.00", "vat_rate": "10",
                "service_start": "2026-03-02", "service_end": "2026-03-15", "description": "Ménage"
            }]
        },
        {
            "invoice_number": "FAC-2026-0002", "invoice_date": "2026-03-31",
            "client_id": CLIENT, "client_birth_date": "1980-03-29",
            "service_start": "2026-03-20", "service_end": "2026-03-27",
            "lines": [{
                "nature_code": "100", "activity_code": "100A001", "quantity": "1.5", "unit": "hour",
                "unit_price": "30.00", "vat_rate": "10", "worker_id": "SIR91281880900090"
            }]
        }
    ]})
}

/// Asserts the call went with the token of `token-answer.json` and as JSON.
fn assert_api_headers(call: &Call, json_body: bool) {
    let token = fixture_json("token-answer.json");
    let bearer = format!("Bearer {}", token["access_token"].as_str().expect("token"));
    assert_eq!(call.header("authorization"), bearer, "{call:?}");
    assert_eq!(call.header("accept"), "application/json", "{call:?}");
    if json_body {
        assert_eq!(call.header("content-type"), "application/json", "{call:?}");
    }
}

/// Asserts the one `METHOD path` call sent `fixture` as its JSON body.
fn assert_sent(capture: &Capture, method: &str, path: &str, name: &str) {
    let call = capture.one(method, path);
    assert_api_headers(&call, true);
    assert_same_json(&call.json(), &fixture_json(name), name);
}

/// Asserts the one E2 call sent the query string of `name`.
fn assert_e2_query(capture: &Capture, name: &str) {
    let call = capture.one("GET", PARTICULIER);
    assert_api_headers(&call, false);
    assert_eq!(pairs(&call.query), pairs(&fixture(name)), "{name}");
}

#[tokio::test]
async fn every_request_the_gateway_sends_equals_its_fixture() {
    let capture = Capture::start();
    capture.answer("POST", PARTICULIER, 200, &fixture("e1-answer.json"));
    capture.answer("GET", PARTICULIER, 200, &fixture("e2-answer.json"));
    capture.answer("POST", DEMANDE, 200, &fixture("e3-answer-integrated.json"));
    capture.answer("POST", RECHERCHE, 200, &fixture("e4-answer-found.json"));
    let app = gateway_for(&capture).start().await;

    // The first call fetches a token with form credentials.
    let (s, _, b) = app.register("alpha", &registration_born_in_france()).await;
    assert_eq!(s, 201, "{b}");
    let token = capture.one("POST", TOKEN);
    assert_eq!(
        token.header("content-type"),
        "application/x-www-form-urlencoded"
    );
    assert_eq!(pairs(&token.body), pairs(&fixture("token-request.form")));
    assert_sent(
        &capture,
        "POST",
        PARTICULIER,
        "e1-request-born-in-france.json",
    );
    // Registration reads the new client's status by id.
    assert_e2_query(&capture, "e2-request-by-id.query");

    let (s, _, b) = app.register("alpha", &registration_born_abroad()).await;
    assert_eq!(s, 201, "{b}");
    assert_sent(&capture, "POST", PARTICULIER, "e1-request-born-abroad.json");
    assert_e2_query(&capture, "e2-request-by-id.query");

    let (s, _, b) = app
        .get("alpha", "/v1/clients?email=jeanne.durand@example.org")
        .await;
    assert_eq!(s, 200, "{b}");
    assert_e2_query(&capture, "e2-request-by-email.query");

    let (s, _, b) = app
        .post("alpha", "/v1/payment-requests", &submission())
        .await;
    assert_eq!(s, 200, "{b}");
    assert_sent(&capture, "POST", DEMANDE, "e3-request.json");

    let searches = [
        (
            json!({ "ids": ["11000000000100", "11000000000101"] }),
            "e4-request-by-ids.json",
        ),
        (
            json!({ "invoice_numbers": ["FAC-2026-0001", "FAC-2026-0002"] }),
            "e4-request-by-invoice-numbers.json",
        ),
        (
            json!({ "invoice_date_from": "2026-03-01", "invoice_date_to": "2026-03-31" }),
            "e4-request-by-period.json",
        ),
    ];
    for (criteria, name) in searches {
        let (s, _, b) = app.search("alpha", criteria).await;
        assert_eq!(s, 200, "{name}: {b}");
        assert_sent(&capture, "POST", RECHERCHE, name);
    }
    // One token for everything.
    assert!(capture.take("POST", TOKEN).is_empty());
}

#[tokio::test]
async fn credentials_sent_as_http_basic_leave_the_form_to_the_grant() {
    let capture = Capture::start();
    capture.answer("GET", PARTICULIER, 200, &fixture("e2-answer.json"));
    let app = gateway_for(&capture)
        .setting("GATEWAY__UPSTREAM__TOKEN_AUTH", "basic")
        .start()
        .await;
    assert_eq!(app.gw().client_status("alpha", CLIENT).await, 200);
    let token = capture.one("POST", TOKEN);
    assert_eq!(
        token.header("authorization"),
        "Basic YWxwaGEtY2xpZW50OmFscGhhLXNlY3JldA=="
    );
    assert_eq!(
        pairs(&token.body),
        pairs(&fixture("token-request-basic.form"))
    );
}
