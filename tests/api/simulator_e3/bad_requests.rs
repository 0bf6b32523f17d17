//! E3 requests refused as a whole: request-level faults and malformed bodies are 400s.

use crate::fixtures::*;
use crate::helpers::*;
use serde_json::{json, Value};

use super::{item_errors, with};

#[tokio::test]
async fn request_level_faults_are_400() {
    let app = spawn_simulator().await;
    let id = app.sim_active_client().await;
    let (s, b) = app.sim_submit(&demande(&id, "F-1")).await;
    assert_400(s, &b, "ERREUR_VALIDATION");
    let (s, b) = app.sim_submit(&json!([])).await;
    assert_400(s, &b, "ERREUR_VALIDATION");
    let eleven: Vec<Value> = (0..11).map(|i| demande(&id, &format!("F-{i}"))).collect();
    let (s, b) = app.sim_submit(&json!(eleven)).await;
    assert_400(s, &b, "ERR_NBRE_PREST_MAX");

    let cases: Vec<(&str, Mutation)> = vec![
        (
            "[0].mntFactureTTC",
            Box::new(|d| d["mntFactureTTC"] = json!("50")),
        ),
        (
            "[0].numFactureTiers",
            Box::new(|d| {
                d.as_object_mut().unwrap().remove("numFactureTiers");
            }),
        ),
        (
            "[0].dateFacture",
            Box::new(|d| d["dateFacture"] = json!("2026-03-16")),
        ),
        (
            "[0].dateDebutEmploi",
            Box::new(|d| d["dateDebutEmploi"] = json!("2026-03-02T00:00:00+00:00")),
        ),
        (
            "[0].inputPrestations[0].unite",
            Box::new(|d| d["inputPrestations"][0]["unite"] = json!("JOUR")),
        ),
        (
            "[0].inputPrestations[0].quantite",
            Box::new(|d| d["inputPrestations"][0]["quantite"] = json!(null)),
        ),
        (
            "[0].inputPrestations",
            Box::new(|d| d["inputPrestations"] = json!([])),
        ),
    ];
    for (path, mutate) in cases {
        let d = with(&id, "F-X", |d| mutate(d));
        let (s, b) = app.sim_submit(&json!([demande(&id, "F-OK"), d])).await;
        let field = path.replacen("[0]", "[1]", 1);
        assert_validation(s, &b, &format!("champ inputDemandePaiement{field} :"));
    }
    // The valid companion of each rejected request was not stored either.
    let (s, b) = app
        .sim_post(
            "/demandePaiement/rechercher",
            &json!({ "numFactureTiers": ["F-OK"] }),
        )
        .await;
    assert_400(s, &b, "ERR_RECHERCHE_VIDE");
    assert_eq!(app.sim().submissions(), 10);
}

#[tokio::test]
async fn malformed_bodies_are_400_arrays_on_every_endpoint() {
    let app = spawn_simulator().await;
    let id = app.sim_active_client().await;
    let deep = format!("{}{}", "[".repeat(300), "]".repeat(300));
    let bodies = [
        "",
        "null",
        "\"x\"",
        "1e400",
        "{\"a\":",
        "[null]",
        "[{\"mntFactureTTC\": 1e300}]",
        deep.as_str(),
    ];
    for path in [
        "/particulier",
        "/demandePaiement",
        "/demandePaiement/rechercher",
    ] {
        for body in bodies {
            let (s, b) = app.sim_post_raw(path, body).await;
            assert_400(s, &b, "ERREUR_VALIDATION");
        }
    }
    // Structs written as arrays (which serde alone would accept) are refused, naming the field.
    let mut p = particulier();
    p["lieuNaissance"] = json!(["99100"]);
    let (s, b) = app.sim_post("/particulier", &p).await;
    assert_validation(s, &b, "inputParticulier.lieuNaissance :");
    let (s, b) = app.sim_submit(&json!([["sap.fr", id]])).await;
    assert_validation(s, &b, "inputDemandePaiement[0] :");

    // Huge but parseable amounts overflow nothing.
    let big = with(&id, "BIG", |d| {
        d["inputPrestations"][0]["quantite"] = json!(1e20);
        d["inputPrestations"][0]["mntUnitaireTTC"] = json!(1e20);
        d["mntAcompte"] = json!(7e28);
    });
    let codes = item_errors(&app, big).await;
    assert!(
        codes.contains(&"ERR_MNT_PREST_TTC".to_string()),
        "{codes:?}"
    );
    assert!(
        codes.contains(&"ERR_MONTANT_ACOMPTE".to_string()),
        "{codes:?}"
    );
}
