//! E1 (registration) and E2 (client status) against the simulator.

use crate::fixtures::*;
use crate::helpers::*;
use serde_json::{json, Value};
use std::time::Duration;

/// Applies `f` to a fresh valid particulier.
fn with(f: impl FnOnce(&mut Value)) -> Value {
    let mut p = particulier();
    f(&mut p);
    p
}

#[tokio::test]
async fn registration_starts_pending_then_validates_after_the_delay() {
    let app = spawn_simulator_with(|s| s.activation_delay = Duration::from_secs(3600)).await;
    app.set_clock("2026-11-02T09:15:00Z").await;
    let id = app.sim_register(&app.token, &particulier()).await;
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");

    let (s, b) = app.sim_get(&format!("/particulier?idClient={id}")).await;
    assert_eq!(s, 200);
    assert_eq!(
        b,
        json!({
            "idClient": id, "nomNaissance": "Durand", "prenoms": "Jean Pierre",
            "statut": { "code": "APPAREILLAGE_EC", "etat": "KO",
                        "description": "Transmission DP impossible, appareillage en cours de traitement" }
        })
    );
    app.advance(3599).await;
    let (_, b) = app.sim_get(&format!("/particulier?idClient={id}")).await;
    assert_eq!(b["statut"]["code"], "APPAREILLAGE_EC");
    app.advance(1).await;
    let (_, b) = app
        .sim_get(&format!(
            "/particulier?adresseMail=JEAN.durand@example.fr&idClient={id}"
        ))
        .await;
    assert_eq!(
        b["statut"],
        json!({ "code": "APPAREILLAGE_VALIDE", "etat": "OK",
                "description": "Transmission DP possible à partir du 02/11/2026 10:15:00" })
    );
}

#[tokio::test]
async fn re_registration_same_contact_gives_same_id_else_err_contact() {
    let app = spawn_simulator().await;
    let id = app.sim_register(&app.token, &particulier()).await;
    // Same person, same contact (phone spelled +33) → same idClient.
    let again = with(|p| p["numeroTelephonePortable"] = json!("+33605040302"));
    assert_eq!(app.sim_register(&app.token, &again).await, id);
    // Same person, other e-mail → ERR_CONTACT.
    let (s, b) = app
        .sim_post(
            "/particulier",
            &with(|p| p["adresseMail"] = json!("autre@example.fr")),
        )
        .await;
    assert_400(s, &b, "ERR_CONTACT");
    // Other person, same e-mail + phone → pair must be unique.
    let (s, b) = app
        .sim_post("/particulier", &with(|p| p["prenoms"] = json!("Paul")))
        .await;
    assert_400(s, &b, "ERREUR_REFERENCE_PARTICULIER_EXISTANTE_TYPE");
    // Other person, own contact → new id.
    let other = with(|p| {
        p["prenoms"] = json!("Paul");
        p["adresseMail"] = json!("paul@example.fr");
    });
    assert_ne!(app.sim_register(&app.token, &other).await, id);
}

#[tokio::test]
async fn field_rules_answer_erreur_validation_naming_the_field() {
    let app = spawn_simulator().await;
    let cases: Vec<(&str, Mutation)> = vec![
        ("civilite", Box::new(|p| p["civilite"] = json!("3"))),
        ("civilite", Box::new(|p| p["civilite"] = json!(1))),
        (
            "nomNaissance",
            Box::new(|p| p["nomNaissance"] = json!("Durand2")),
        ),
        (
            "nomNaissance",
            Box::new(|p| p["nomNaissance"] = json!("-Durand")),
        ),
        (
            "nomNaissance",
            Box::new(|p| p["nomNaissance"] = json!("D".repeat(81))),
        ),
        ("nomUsage", Box::new(|p| p["nomUsage"] = json!("Martin'"))),
        (
            "prenoms",
            Box::new(|p| p["prenoms"] = json!("Jean  Pierre")),
        ),
        (
            "prenoms",
            Box::new(|p| {
                p.as_object_mut().unwrap().remove("prenoms");
            }),
        ),
        (
            "dateNaissance",
            Box::new(|p| p["dateNaissance"] = json!("1980-03-29")),
        ),
        (
            "dateNaissance",
            Box::new(|p| p["dateNaissance"] = json!("1980-03-29T00:00:00+01:00")),
        ),
        (
            "numeroTelephonePortable",
            Box::new(|p| p["numeroTelephonePortable"] = json!("0505040302")),
        ),
        (
            "numeroTelephonePortable",
            Box::new(|p| p["numeroTelephonePortable"] = json!("06 05 04 03 02")),
        ),
        (
            "adresseMail",
            Box::new(|p| p["adresseMail"] = json!("jean@durand")),
        ),
        (
            "lieuNaissance.codePaysNaissance",
            Box::new(|p| p["lieuNaissance"]["codePaysNaissance"] = json!("FR")),
        ),
        (
            "lieuNaissance.communeNaissance.codeCommune",
            Box::new(|p| p["lieuNaissance"]["communeNaissance"]["codeCommune"] = json!("1090")),
        ),
        (
            "adressePostale.numeroVoie",
            Box::new(|p| p["adressePostale"]["numeroVoie"] = json!("0")),
        ),
        (
            "adressePostale.numeroVoie",
            Box::new(|p| p["adressePostale"]["numeroVoie"] = json!("1bis")),
        ),
        (
            "adressePostale.libelleVoie",
            Box::new(|p| p["adressePostale"]["libelleVoie"] = json!("x".repeat(29))),
        ),
        (
            "adressePostale.codeCommune",
            Box::new(|p| p["adressePostale"]["codeCommune"] = json!("2C004")),
        ),
        (
            "adressePostale.codePostal",
            Box::new(|p| p["adressePostale"]["codePostal"] = json!("4400")),
        ),
        (
            "adressePostale.codePays",
            Box::new(|p| p["adressePostale"]["codePays"] = json!("FRA")),
        ),
        (
            "coordonneeBancaire.bic",
            Box::new(|p| p["coordonneeBancaire"]["bic"] = json!("BNPA")),
        ),
        (
            "coordonneeBancaire.iban",
            Box::new(|p| {
                p["coordonneeBancaire"]["iban"] = json!("FR76 3000 4000 0312 3456 7890 143")
            }),
        ),
        (
            "coordonneeBancaire.titulaire",
            Box::new(|p| p["coordonneeBancaire"]["titulaire"] = json!("")),
        ),
    ];
    for (path, mutate) in cases {
        let body = with(|p| mutate(p));
        let (s, b) = app.sim_post("/particulier", &body).await;
        assert_validation(s, &b, &format!("champ inputParticulier.{path} :"));
    }
    // Nothing was registered along the way.
    let (s, b) = app
        .sim_get("/particulier?adresseMail=jean.durand@example.fr")
        .await;
    assert_400(s, &b, "ERR_RECHERCHE_PARTICULIER");
}

#[tokio::test]
async fn birthplace_and_address_rules_have_their_own_codes() {
    let app = spawn_simulator().await;
    let cases: Vec<(&str, Mutation)> = vec![
        (
            "ERREUR_LIEU_NAISSANCE_OBLIGATOIRE",
            Box::new(|p| p["lieuNaissance"] = Value::Null),
        ),
        (
            "ERREUR_LIEU_NAISSANCE_DEPT",
            Box::new(|p| p["lieuNaissance"]["departementNaissance"] = Value::Null),
        ),
        (
            "ERREUR_LIEU_NAISSANCE_DEPT_FORMAT",
            Box::new(|p| p["lieuNaissance"]["departementNaissance"] = json!("44")),
        ),
        (
            "ERR_LIEU_NAISSANCE_COMN",
            Box::new(|p| p["lieuNaissance"]["communeNaissance"] = Value::Null),
        ),
        (
            "ERR_LIEU_NAISSANCE_OBLIGATOIRE",
            Box::new(|p| p["lieuNaissance"]["communeNaissance"]["libelleCommune"] = Value::Null),
        ),
        (
            "ERREUR_LIEU_NAISSANCE_INVALIDE",
            Box::new(|p| {
                p["lieuNaissance"]["communeNaissance"]["libelleCommune"] = json!("Nantes;")
            }),
        ),
        (
            "ERREUR_LIEU_NAISSANCE_PAYS",
            Box::new(|p| p["lieuNaissance"]["codePaysNaissance"] = json!("99109")),
        ),
        (
            "ERR_DATE_NAISSANCE_FUTUR",
            Box::new(|p| p["dateNaissance"] = json!("2100-01-01T00:00:00Z")),
        ),
        (
            "ERR_CONTACT_ADRESSE_TYPE_VOIE",
            Box::new(|p| p["adressePostale"]["codeTypeVoie"] = json!("XYZ")),
        ),
        (
            "ERR_CONTACT_ADRESSE_LIBELLEVOIE",
            Box::new(|p| p["adressePostale"]["libelleVoie"] = Value::Null),
        ),
        (
            "ERR_CONTACT_ADRESSE_TYPEVOIE",
            Box::new(|p| p["adressePostale"]["codeTypeVoie"] = Value::Null),
        ),
        (
            "ERR_CONTACT_ADRESSE_LETTRE_VOIE",
            Box::new(|p| p["adressePostale"]["lettreVoie"] = json!("Z")),
        ),
        (
            "ERR_CONTACT_ADRESSE_INFORMATION_SUPPLEMENTAIRE",
            Box::new(|p| {
                p["adressePostale"]["codeTypeVoie"] = Value::Null;
                p["adressePostale"]["libelleVoie"] = Value::Null;
            }),
        ),
        // Magic values (docs/simulator.md).
        (
            "ERR_DGFIP_R2P_INCONNU",
            Box::new(|p| p["nomNaissance"] = json!("Inconnu")),
        ),
        (
            "ERR_DGFIP_IMPOTPART_INCONNU",
            Box::new(|p| p["nomNaissance"] = json!("NONIMPOSABLE")),
        ),
        (
            "ERR_ECV_PARTICULIERS_EXISTENT",
            Box::new(|p| p["nomNaissance"] = json!("MULTIPLE")),
        ),
        (
            "ERR_COMPTE_BLOQUE",
            Box::new(|p| p["nomNaissance"] = json!("BLOQUE")),
        ),
        (
            "ERR_COORDONNEES_BANCAIRES",
            Box::new(|p| p["coordonneeBancaire"]["iban"] = json!("FR7630004000031234567890144")),
        ),
        (
            "ERR_APPEL_BACB",
            Box::new(|p| p["coordonneeBancaire"]["bic"] = json!("BACBFRPP")),
        ),
        (
            "ERR_CONTACT_ADRESSE_COMMUNE",
            Box::new(|p| p["adressePostale"]["codeCommune"] = json!("99999")),
        ),
    ];
    for (code, mutate) in cases {
        let (s, b) = app.sim_post("/particulier", &with(|p| mutate(p))).await;
        assert_400(s, &b, code);
    }
    // Abroad without department/commune, and a complement-only address, are fine.
    let abroad = with(|p| {
        p["lieuNaissance"] = json!({ "codePaysNaissance": "99109" });
        p["adressePostale"]["codeTypeVoie"] = Value::Null;
        p["adressePostale"]["libelleVoie"] = Value::Null;
        p["adressePostale"]["complement"] = json!("Résidence des Pins");
    });
    app.sim_register(&app.token, &abroad).await;
}

#[tokio::test]
async fn unparsable_body_is_a_validation_error() {
    let app = spawn_simulator().await;
    let (s, b) = app.sim_post_raw("/particulier", "{not json").await;
    assert_400(s, &b, "ERREUR_VALIDATION");
}

#[tokio::test]
async fn status_lookup_errors_and_admin_driven_statuses() {
    let app = spawn_simulator().await;
    let (s, b) = app.sim_get("/particulier").await;
    assert_400(s, &b, "ERREUR_VALIDATION");
    let (s, b) = app
        .sim_get("/particulier?idClient=af0be430-908a-11eb-a8b3-0242ac130003")
        .await;
    assert_400(s, &b, "ERR_RECHERCHE_PARTICULIER");
    let id = app.sim_register(&app.token, &particulier()).await;
    // Both criteria must match.
    let (s, b) = app
        .sim_get(&format!(
            "/particulier?idClient={id}&adresseMail=x@example.fr"
        ))
        .await;
    assert_400(s, &b, "ERR_RECHERCHE_PARTICULIER");
    let (s, b) = app
        .sim_get("/particulier?adresseMail=jean.durand@example.fr")
        .await;
    assert_eq!(
        (s.as_u16(), b["idClient"].as_str()),
        (200, Some(id.as_str()))
    );

    for code in [
        "APPAREILLAGE_NF",
        "PARTICULIER_BLOQUE",
        "MANDAT_ECHU",
        "APPAREILLAGE_EC",
    ] {
        app.set_client_status(&id, json!({ "code": code })).await;
        let (_, b) = app.sim_get(&format!("/particulier?idClient={id}")).await;
        assert_eq!(
            (b["statut"]["code"].as_str(), b["statut"]["etat"].as_str()),
            (Some(code), Some("KO"))
        );
    }
    let body = json!({ "code": "APPAREILLAGE_VALIDE", "activated_at": "2026-02-01T10:00:00Z" });
    app.set_client_status(&id, body).await;
    let (_, b) = app.sim_get(&format!("/particulier?idClient={id}")).await;
    assert_eq!(
        b["statut"]["description"],
        "Transmission DP possible à partir du 01/02/2026 10:00:00"
    );
    assert_eq!(b["statut"]["etat"], "OK");
}

#[tokio::test]
async fn providers_never_see_each_other() {
    let app = spawn_simulator().await;
    let id = app.sim_active_client().await;
    let (s, b) = app.sim_submit(&json!([demande(&id, "F-1")])).await;
    assert_eq!(s, 200);
    let dp = b[0]["idDemandePaiement"].as_str().unwrap().to_string();

    let tb = app.token_for(B).await;
    let (s, b) = app
        .sim_get_as(&tb, &format!("/particulier?idClient={id}"))
        .await;
    assert_400(s, &b, "ERR_RECHERCHE_PARTICULIER");
    let (s, b) = app
        .sim_post_as(&tb, "/demandePaiement", &json!([demande(&id, "F-1")]))
        .await;
    assert_eq!(s, 200);
    assert_eq!(b[0]["errors"][0]["code"], "ERR_PARTICULIER_INCONNU", "{b}");
    let (s, b) = app
        .sim_post_as(
            &tb,
            "/demandePaiement/rechercher",
            &json!({ "idDemandePaiements": [dp] }),
        )
        .await;
    assert_400(s, &b, "ERR_RECHERCHE_VIDE");
    let (s, b) = app
        .sim_post_as(
            &tb,
            "/demandePaiement/rechercher",
            &json!({ "numFactureTiers": ["F-1"] }),
        )
        .await;
    assert_400(s, &b, "ERR_RECHERCHE_VIDE");
    // B registers the same person: its own idClient, and its own invoice numbering.
    let id_b = app.sim_register(&tb, &particulier()).await;
    assert_ne!(id_b, id);
    app.set_client_status(
        &id_b,
        json!({ "code": "APPAREILLAGE_VALIDE", "activated_at": T0 }),
    )
    .await;
    let (_, b) = app
        .sim_post_as(&tb, "/demandePaiement", &json!([demande(&id_b, "F-1")]))
        .await;
    assert_eq!(b[0]["statut"], "10", "{b}");
}
