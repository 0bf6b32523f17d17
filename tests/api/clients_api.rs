//! `/v1/clients` end to end: gateway over real HTTP, the built-in simulator as Urssaf.

use serde_json::{json, Value};
use std::time::Duration;

use crate::fixtures::*;
use crate::helpers::*;

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

type Break = fn(&mut Value);
type RuleCase = (&'static str, Break, &'static [(&'static str, &'static str)]);

#[tokio::test]
async fn every_local_rule_answers_422_with_pointers_and_nothing_reaches_urssaf() {
    let app = spawn_app().await;
    let cases: Vec<RuleCase> = vec![
        (
            "birth name digits",
            |b| b["birth_name"] = json!("Dur4nd"),
            &[("/birth_name", "name_pattern")],
        ),
        (
            "blank birth name",
            |b| b["birth_name"] = json!("  "),
            &[("/birth_name", "required")],
        ),
        (
            "usage name too long",
            |b| b["usage_name"] = json!("A".repeat(81)),
            &[("/usage_name", "max_length")],
        ),
        (
            "first names",
            |b| b["first_names"] = json!("Jeanne2"),
            &[("/first_names", "first_names_pattern")],
        ),
        (
            "birth date future",
            |b| b["birth_date"] = json!("2999-01-01"),
            &[("/birth_date", "not_in_future")],
        ),
        (
            "birth date format",
            |b| b["birth_date"] = json!("29/03/1980"),
            &[("/birth_date", "date")],
        ),
        (
            "landline",
            |b| b["mobile_phone"] = json!("01 02 03 04 05"),
            &[("/mobile_phone", "french_mobile")],
        ),
        (
            "email plus",
            |b| b["email"] = json!("jeanne+x@example.org"),
            &[("/email", "email")],
        ),
        (
            "iban checksum",
            |b| b["bank_account"]["iban"] = json!("FR7630004000031234567890144"),
            &[("/bank_account/iban", "iban_checksum")],
        ),
        (
            "iban format",
            |b| b["bank_account"]["iban"] = json!("FR76"),
            &[("/bank_account/iban", "iban_format")],
        ),
        (
            "bic",
            |b| b["bank_account"]["bic"] = json!("BNP"),
            &[("/bank_account/bic", "bic_format")],
        ),
        (
            "street type unknown",
            |b| b["address"]["street_type"] = json!("XYZ"),
            &[("/address/street_type", "street_type")],
        ),
        (
            "street name without type",
            |b| b["address"]["street_type"] = json!(null),
            &[("/address/street_type", "street_type_and_name_together")],
        ),
        (
            "type without name",
            |b| b["address"]["street_name"] = json!(null),
            &[("/address/street_name", "street_type_and_name_together")],
        ),
        (
            "no street, complement or locality",
            |b| {
                b["address"]["street_type"] = json!(null);
                b["address"]["street_name"] = json!(null);
            },
            &[("/address/street_name", "street_or_complement_or_locality")],
        ),
        (
            "street letter",
            |b| b["address"]["street_letter"] = json!("z"),
            &[("/address/street_letter", "street_letter")],
        ),
        (
            "street number 0",
            |b| b["address"]["street_number"] = json!("0"),
            &[("/address/street_number", "street_number")],
        ),
        (
            "postal code",
            |b| b["address"]["postal_code"] = json!("4400"),
            &[("/address/postal_code", "postal_code")],
        ),
        (
            "birth commune code",
            |b| b["birth_place"]["commune_code"] = json!("2C004"),
            &[("/birth_place/commune_code", "insee_commune_code")],
        ),
        (
            "birth commune name missing",
            |b| b["birth_place"]["commune_name"] = json!(null),
            &[("/birth_place/commune_name", "required")],
        ),
        (
            "abroad with commune",
            |b| b["birth_place"]["country_code"] = json!("99109"),
            &[
                ("/birth_place/commune_code", "abroad_without_commune"),
                ("/birth_place/commune_name", "abroad_without_commune"),
            ],
        ),
        (
            "country code",
            |b| b["birth_place"] = json!({"country_code": "12345"}),
            &[("/birth_place/country_code", "insee_country_code")],
        ),
        (
            "unknown field",
            |b| b["nickname"] = json!("Jeannot"),
            &[("/nickname", "unknown_field")],
        ),
        (
            "unknown nested field",
            |b| b["address"]["floor"] = json!(2),
            &[("/address/floor", "unknown_field")],
        ),
        (
            "wrong type",
            |b| b["birth_name"] = json!(42),
            &[("/birth_name", "type")],
        ),
        (
            "bad title",
            |b| b["title"] = json!("dr"),
            &[("/title", "type")],
        ),
        (
            "missing field",
            |b| {
                b.as_object_mut().unwrap().remove("email");
            },
            &[("", "required")],
        ),
        (
            "several at once",
            |b| {
                b["mobile_phone"] = json!("123");
                b["bank_account"]["bic"] = json!("12");
            },
            &[
                ("/mobile_phone", "french_mobile"),
                ("/bank_account/bic", "bic_format"),
            ],
        ),
    ];
    for (name, breaks, expected) in cases {
        let mut body = client_body();
        breaks(&mut body);
        let got = app.register(TENANT_A.id, &body).await;
        let b = assert_problem(&got, 422, "validation_failed");
        assert_eq!(b["type"], "/problems/validation-failed", "{name}");
        let mut want: Vec<(String, String)> = expected
            .iter()
            .map(|(p, r)| (p.to_string(), r.to_string()))
            .collect();
        let mut have = pointers(&b);
        have.sort();
        want.sort();
        assert_eq!(have, want, "{name}: {b}");
        assert!(b["urssaf"].is_null(), "{name}");
    }
    assert_eq!(app.sim().registrations(), 0);
    assert_eq!(app.sim().token_requests(), 0);
}

#[tokio::test]
async fn urssaf_rejections_keep_the_code_and_give_a_hint() {
    let app = spawn_app().await;
    let cases: Vec<(&str, Break, u16, &str, &str)> = vec![
        (
            "dgfip unknown",
            |b| b["birth_name"] = json!("Inconnu"),
            422,
            "urssaf_rejected",
            "ERR_DGFIP_R2P_INCONNU",
        ),
        (
            "no tax return",
            |b| b["birth_name"] = json!("Nonimposable"),
            422,
            "urssaf_rejected",
            "ERR_DGFIP_IMPOTPART_INCONNU",
        ),
        (
            "several accounts",
            |b| b["birth_name"] = json!("Multiple"),
            422,
            "urssaf_rejected",
            "ERR_ECV_PARTICULIERS_EXISTENT",
        ),
        (
            "blocked",
            |b| b["birth_name"] = json!("Bloque"),
            422,
            "urssaf_rejected",
            "ERR_COMPTE_BLOQUE",
        ),
        (
            "bank check failed",
            |b| b["bank_account"]["bic"] = json!("BACBFRPP"),
            422,
            "urssaf_rejected",
            "ERR_APPEL_BACB",
        ),
        (
            "unknown commune",
            |b| b["address"]["commune_code"] = json!("99999"),
            422,
            "urssaf_rejected",
            "ERR_CONTACT_ADRESSE_COMMUNE",
        ),
    ];
    for (name, breaks, status, code, urssaf) in cases {
        let mut body = client_body();
        breaks(&mut body);
        let got = app.register(TENANT_A.id, &body).await;
        let b = assert_problem(&got, status, code);
        assert_eq!(b["urssaf"]["code"], urssaf, "{name}: {b}");
        assert!(
            b["urssaf"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{name}"
        );
        assert!(
            b["hint"].as_str().is_some_and(|h| !h.is_empty()),
            "{name}: {b}"
        );
        if urssaf == "ERR_CONTACT_ADRESSE_COMMUNE" {
            assert_eq!(
                pointers(&b),
                vec![("/address/commune_code".to_string(), urssaf.to_string())],
                "{b}"
            );
        }
    }
    assert_eq!(app.sim().registrations(), 6);

    // Urssaf refusing with an empty 400 body: still a problem, saying so.
    app.faults(json!({ "empty_400": true })).await;
    let mut body = client_body();
    body["birth_name"] = json!("Inconnu");
    let got = app.register(TENANT_A.id, &body).await;
    let b = assert_problem(&got, 422, "urssaf_rejected");
    assert!(b["urssaf"].is_null(), "{b}");
    assert!(
        b["detail"].as_str().unwrap().contains("without saying why"),
        "{b}"
    );
    app.faults(json!({})).await;

    // Same person again with the same contact: Urssaf answers the same id.
    let body = client_body();
    let (s, _, first) = app.register(TENANT_A.id, &body).await;
    assert_eq!(s, 201, "{first}");
    let (s, _, again) = app.register(TENANT_A.id, &body).await;
    assert_eq!(s, 201, "{again}");
    assert_eq!(again["client_id"], first["client_id"]);

    // Same person, another e-mail: ERR_CONTACT.
    let mut other = body.clone();
    other["email"] = json!("someone.else@example.org");
    let got = app.register(TENANT_A.id, &other).await;
    let b = assert_problem(&got, 422, "urssaf_rejected");
    assert_eq!(b["urssaf"]["code"], "ERR_CONTACT", "{b}");
    assert!(b["hint"].is_string(), "ERR_CONTACT deserves a hint: {b}");

    // Another person with the same e-mail/phone pair.
    let mut twin = body.clone();
    twin["first_names"] = json!("Paul");
    let got = app.register(TENANT_A.id, &twin).await;
    let b = assert_problem(&got, 422, "urssaf_rejected");
    assert_eq!(
        b["urssaf"]["code"], "ERREUR_REFERENCE_PARTICULIER_EXISTANTE_TYPE",
        "{b}"
    );
    assert!(b["hint"].is_string(), "{b}");

    // Unknown client → 404 with Urssaf's code, by id and by e-mail.
    let got = app
        .get(
            TENANT_A.id,
            "/v1/clients/af0be430-908a-11eb-a8b3-0242ac130003",
        )
        .await;
    let b = assert_problem(&got, 404, "not_found");
    assert_eq!(b["urssaf"]["code"], "ERR_RECHERCHE_PARTICULIER", "{b}");
    assert!(b["hint"].is_string(), "{b}");
    let got = app
        .get(TENANT_A.id, "/v1/clients?email=nobody@example.org")
        .await;
    let b = assert_problem(&got, 404, "not_found");
    assert_eq!(b["urssaf"]["code"], "ERR_RECHERCHE_PARTICULIER", "{b}");

    // Malformed id and e-mail never reach Urssaf.
    let before = app.sim().token_requests();
    let got = app.get(TENANT_A.id, "/v1/clients/a%20b").await;
    assert_eq!(
        pointers(&assert_problem(&got, 422, "validation_failed")),
        vec![("/client_id".to_string(), "client_id".to_string())]
    );
    let got = app.get(TENANT_A.id, "/v1/clients").await;
    assert_eq!(
        pointers(&assert_problem(&got, 422, "validation_failed"))[0].0,
        "/email"
    );
    let got = app.get(TENANT_A.id, "/v1/clients?email=not-an-email").await;
    assert_eq!(
        pointers(&assert_problem(&got, 422, "validation_failed"))[0].0,
        "/email"
    );
    assert_eq!(app.sim().token_requests(), before);
}

#[tokio::test]
async fn urssaf_unavailable_answers_503_with_retry_after() {
    let app = spawn_app().await;
    app.faults(json!({ "error_503_rate": 1.0 })).await;
    let got = app.register(TENANT_A.id, &client_body()).await;
    let b = assert_problem(&got, 503, "upstream_unavailable");
    assert!(got.1.get("retry-after").is_some(), "{b}");
    // Retried (503 means not processed), then given up.
    assert_eq!(app.sim().registrations(), 3);
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
