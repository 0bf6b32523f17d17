//! `/v1/clients` end to end: gateway over real HTTP, the built-in simulator as Urssaf.

mod local_rules;
mod rejections;

use serde_json::{json, Value};
use std::time::Duration;

use crate::fixtures::*;
use crate::helpers::*;

/// Changes one thing in a valid registration body.
type Break = fn(&mut Value);

#[tokio::test]
async fn registration_then_activation_read_by_id_and_by_email() {
    let app = spawn_app_with(|s| s.activation_delay = Duration::from_secs(3600)).await;
    app.set_clock(&at(last_month(3), 9)).await;
    let body = client_body();
    let email = body["email"].as_str().unwrap().to_string();
    let (s, h, b) = app.register(TENANT_A.id, &body).await;
    assert_eq!(s, 201, "{b}");
    let id = b["client_id"].as_str().unwrap().to_string();
    assert_eq!(
        h.get("location").unwrap().to_str().unwrap(),
        format!("/v1/clients/{id}")
    );
    assert_eq!(
        b["account"],
        json!({
            "state": "pending_activation", "can_receive_payment_requests": false, "active_since": null,
            "urssaf": { "code": "APPAREILLAGE_EC", "etat": "KO",
                        "description": "Transmission DP impossible, appareillage en cours de traitement" }
        })
    );
    assert_eq!(app.sim().registrations(), 1);

    // One hour later (simulated), the client activated the account.
    app.advance(3600).await;
    let activated = format!("{}", last_month(3).format("%d/%m/%Y"));
    let expected = json!({
        "client_id": id,
        "birth_name": "Durand",
        "usage_name": "Martin",
        "first_names": "Jeanne Marie",
        "account": {
            "state": "active", "can_receive_payment_requests": true, "active_since": iso(last_month(3)),
            "urssaf": { "code": "APPAREILLAGE_VALIDE", "etat": "OK",
                        "description": format!("Transmission DP possible à partir du {activated} 10:00:00") }
        }
    });
    let (s, _, by_id) = app.get(TENANT_A.id, &format!("/v1/clients/{id}")).await;
    assert_eq!(s, 200, "{by_id}");
    assert_eq!(by_id, expected);
    let (s, _, by_mail) = app
        .get(TENANT_A.id, &format!("/v1/clients?email={email}"))
        .await;
    assert_eq!(s, 200, "{by_mail}");
    assert_eq!(by_mail, expected);
    let (s, _, by_upper) = app
        .get(
            TENANT_A.id,
            &format!("/v1/clients?email={}", email.to_uppercase()),
        )
        .await;
    assert_eq!((s, &by_upper), (200, &expected));
    // Urssaf answering the status as a one-element array changes nothing.
    app.faults(json!({ "status_as_array": true })).await;
    let (s, _, b) = app.get(TENANT_A.id, &format!("/v1/clients/{id}")).await;
    assert_eq!((s, &b), (200, &expected));
    app.faults(json!({})).await;

    // What Urssaf received.
    let stored = app.stored_client(&id).await;
    assert_eq!(stored["provider"], TENANT_A.client_id);
    let input = &stored["input"];
    assert_eq!(input["civilite"], "2");
    assert_eq!(input["nomUsage"], "Martin");
    assert_eq!(input["dateNaissance"], "1980-03-29T00:00:00Z");
    assert_eq!(input["numeroTelephonePortable"], "0605040302");
    assert_eq!(
        input["lieuNaissance"],
        json!({"codePaysNaissance": "99100", "departementNaissance": "044",
               "communeNaissance": {"codeCommune": "109", "libelleCommune": "Nantes"}})
    );
    assert_eq!(input["adressePostale"]["lettreVoie"], "B");
    assert_eq!(
        input["coordonneeBancaire"]["iban"],
        "FR7630004000031234567890143"
    );
}

#[tokio::test]
async fn birthplaces_in_corsica_overseas_and_abroad_are_split_for_urssaf() {
    let app = spawn_app().await;
    let cases = [
        (
            json!({"commune_code": "2A004", "commune_name": "Ajaccio"}),
            json!({"codePaysNaissance": "99100", "departementNaissance": "02A",
                   "communeNaissance": {"codeCommune": "004", "libelleCommune": "Ajaccio"}}),
        ),
        (
            json!({"country_code": "99100", "commune_code": "97411", "commune_name": "Saint-Denis"}),
            json!({"codePaysNaissance": "99100", "departementNaissance": "974",
                   "communeNaissance": {"codeCommune": "011", "libelleCommune": "Saint-Denis"}}),
        ),
        (
            json!({"country_code": "99109"}),
            json!({"codePaysNaissance": "99109"}),
        ),
    ];
    for ((given, sent), first) in cases.into_iter().zip(["Anne", "Paule", "Rose"]) {
        let mut body = client_body();
        body["birth_place"] = given.clone();
        body["first_names"] = json!(first);
        let (s, _, b) = app.register(TENANT_A.id, &body).await;
        assert_eq!(s, 201, "{given}: {b}");
        let stored = app.stored_client(b["client_id"].as_str().unwrap()).await;
        assert_eq!(stored["input"]["lieuNaissance"], sent, "{given}");
    }
}

#[tokio::test]
async fn urssaf_unavailable_answers_503_with_retry_after() {
    let app = spawn_app().await;
    app.faults(json!({ "error_503_rate": 1.0 })).await;
    let got = app.register(TENANT_A.id, &client_body()).await;
    let b = assert_problem(&got, 503, "upstream_unavailable");
    assert!(got.1.get("retry-after").is_some(), "{b}");
    // Retried (503 means not processed) upstream.max_retries times, then given up.
    assert_eq!(app.sim().registrations(), 5);
    let got = app.get(TENANT_A.id, "/v1/clients/some-id").await;
    assert_problem(&got, 503, "upstream_unavailable");
    assert!(got.1.get("retry-after").is_some());

    // Too many requests: Urssaf's Retry-After is passed on.
    app.faults(json!({ "error_429_rate": 1.0 })).await;
    let got = app.get(TENANT_A.id, "/v1/clients/some-id").await;
    assert_problem(&got, 503, "upstream_unavailable");
    assert_eq!(got.1["retry-after"], "1");

    // A gateway in front of a closed port.
    let closed = spawn_app_without_urssaf().await;
    let got = closed.register(TENANT_A.id, &client_body()).await;
    assert_problem(&got, 503, "upstream_unavailable");
    let retry: u64 = got.1["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry >= 1);
}

#[tokio::test]
async fn urssaf_too_slow_answers_504() {
    let app = TestApp::builder().short_upstream_timeout().start().await;
    // Warm the token first so that only the API call is slow.
    let (s, _, b) = app.register(TENANT_A.id, &client_body()).await;
    assert_eq!(s, 201, "{b}");
    app.faults(json!({ "latency_ms": 1000 })).await;
    let started = std::time::Instant::now();
    let got = app.register(TENANT_A.id, &client_body()).await;
    let b = assert_problem(&got, 504, "upstream_timeout");
    assert!(b["hint"].is_string());
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
    let got = app.get(TENANT_A.id, "/v1/clients/some-id").await;
    assert_problem(&got, 504, "upstream_timeout");
}

#[tokio::test]
async fn a_tenant_cannot_read_another_tenants_client() {
    let app = spawn_app().await;
    let body = client_body();
    let (s, _, b) = app.register(TENANT_A.id, &body).await;
    assert_eq!(s, 201, "{b}");
    let id = b["client_id"].as_str().unwrap();
    let (s, _, _) = app.get(TENANT_A.id, &format!("/v1/clients/{id}")).await;
    assert_eq!(s, 200);
    let got = app.get(TENANT_B.id, &format!("/v1/clients/{id}")).await;
    let p = assert_problem(&got, 404, "not_found");
    assert_eq!(p["urssaf"]["code"], "ERR_RECHERCHE_PARTICULIER");
    let got = app
        .get(
            TENANT_B.id,
            &format!("/v1/clients?email={}", body["email"].as_str().unwrap()),
        )
        .await;
    assert_problem(&got, 404, "not_found");
    // Without a key: 401.
    let resp = app
        .http
        .get(format!("{}/v1/clients/{id}", app.gw().url))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
}

#[tokio::test]
async fn a_registration_retried_with_its_idempotency_key_reaches_urssaf_once() {
    let app = spawn_app().await;
    let body = client_body();
    let send = |b: &serde_json::Value| {
        app.gw()
            .post(TENANT_A.id, "/v1/clients")
            .header("Idempotency-Key", "reg-1")
            .json(b)
            .send()
    };
    let first = send(&body).await.unwrap();
    assert_eq!(first.status(), 201);
    let location = first.headers()["location"].clone();
    let first_body: serde_json::Value = first.json().await.unwrap();
    let again = send(&body).await.unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["location"], location);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.json::<serde_json::Value>().await.unwrap(), first_body);
    assert_eq!(app.sim().registrations(), 1);
    // Same key, another person: refused without calling Urssaf.
    let other = send(&client_body()).await.unwrap();
    assert_eq!(other.status(), 422);
    assert_eq!(app.sim().registrations(), 1);
    // Keys are per tenant: B may use the same key for its own registration.
    let b = app
        .gw()
        .post(TENANT_B.id, "/v1/clients")
        .header("Idempotency-Key", "reg-1")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(b.status(), 201);
    assert_eq!(app.sim().registrations(), 2);
}
