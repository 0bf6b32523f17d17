//! Registrations Urssaf refuses: its code kept, the field named, a hint given.

use serde_json::json;

use crate::fixtures::*;
use crate::helpers::*;

use super::Break;

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
