//! E4 (search) and the payment-request lifecycle against the simulator.

use crate::fixtures::*;
use crate::helpers::*;
use crate::sim_calls::sim_found_ids;
use reqwest::Method;
use serde_json::{json, Value};

#[tokio::test]
async fn search_by_ids_with_non_blocking_errors() {
    let app = spawn_simulator().await;
    let id = app.sim_active_client().await;
    let ids = app.sim_seed(&id, &[16, 17]).await;
    let (s, b) = app
        .sim_search(json!({ "idDemandePaiements": [ids[1], "11999999999999", ids[0]] }))
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(sim_found_ids(&b), vec![ids[1].clone(), ids[0].clone()]);
    assert_eq!(b["errors"].as_array().unwrap().len(), 1);
    assert!(b["errors"][0]["description"]
        .as_str()
        .unwrap()
        .contains("11999999999999"));
    let info = &b["infoDemandePaiements"][1];
    assert_eq!(
        info["statut"],
        json!({ "code": "20", "libelle": "En attente de validation" })
    );
    // The submitted demande is echoed, amounts as numbers.
    assert_eq!(info["demandePaiement"]["numFactureTiers"], "F-0");
    assert_eq!(info["demandePaiement"]["mntFactureTTC"], 50);
    assert_eq!(
        info["demandePaiement"]["inputPrestations"][0]["mntPrestationHT"],
        45.45
    );
    assert!(info.get("infoRejet").is_none() && info.get("infoVirement").is_none());
}

#[tokio::test]
async fn search_criteria_errors() {
    let app = spawn_simulator().await;
    let id = app.sim_active_client().await;
    app.sim_seed(&id, &[16]).await;
    let (s, b) = app.sim_search(json!({})).await;
    assert_400(s, &b, "ERR_CRITERE_RECHERCHE_VIDE");
    let (s, b) = app
        .sim_search(json!({ "idDemandePaiements": [], "dateFin": null }))
        .await;
    assert_400(s, &b, "ERR_CRITERE_RECHERCHE_VIDE");
    let (s, b) = app.sim_search(json!({ "idDemandePaiements": ["1"] })).await;
    assert_400(s, &b, "ERR_RECHERCHE_VIDE");
    let eleven: Vec<String> = (0..11).map(|i| format!("{i}")).collect();
    let (s, b) = app
        .sim_search(json!({ "idDemandePaiements": eleven }))
        .await;
    assert_400(s, &b, "ERREUR_VALIDATION");
    let (s, b) = app.sim_search(json!({ "numFactureTiers": eleven })).await;
    assert_400(s, &b, "ERREUR_VALIDATION");
    // CAERP's connectivity check: a period far in the future.
    let (s, b) = app
        .sim_search(json!({ "dateDebut": "2053-01-01T00:00:00Z", "dateFin": null }))
        .await;
    assert_400(s, &b, "ERR_RECHERCHE_VIDE");
    let (s, b) = app.sim_search(json!({ "dateDebut": "2026-03-01" })).await;
    assert_validation(s, &b, "champ inputRechercheDemandePaiement.dateDebut :");
    let (s, b) = app
        .sim_search(json!({ "idDemandePaiements": "11000000000100" }))
        .await;
    assert_validation(s, &b, "idDemandePaiements");
}

#[tokio::test]
async fn search_by_invoice_number_and_by_period() {
    let app = spawn_simulator_with(|s| s.search_max_results = 3).await;
    let id = app.sim_active_client().await;
    let ids = app.sim_seed(&id, &[10, 11, 12, 13]).await;
    let (s, b) = app
        .sim_search(json!({ "numFactureTiers": ["F-2", "F-0"] }))
        .await;
    assert_eq!(s, 200);
    assert_eq!(sim_found_ids(&b), vec![ids[2].clone(), ids[0].clone()]);
    // Inclusive bounds, on calendar days of dateFacture.
    let (s, b) = app
        .sim_search(
            json!({ "dateDebut": "2026-03-11T00:00:00Z", "dateFin": "2026-03-12T00:00:00Z" }),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(sim_found_ids(&b), ids[1..3].to_vec());
    // Open-ended either way.
    let (_, b) = app
        .sim_search(json!({ "dateDebut": "2026-03-12T00:00:00.000Z" }))
        .await;
    assert_eq!(sim_found_ids(&b), ids[2..].to_vec());
    let (_, b) = app
        .sim_search(json!({ "dateFin": "2026-03-10T00:00:00Z" }))
        .await;
    assert_eq!(sim_found_ids(&b), ids[..1].to_vec());
    // Four matches > search_max_results (3).
    let (s, b) = app
        .sim_search(json!({ "dateDebut": "2026-03-01T00:00:00Z" }))
        .await;
    assert_400(s, &b, "ERR_NBRE_MAX_RESULTAT");
    // Ids win over the period.
    let (s, b) = app.sim_search(json!({ "idDemandePaiements": [ids[3]], "dateDebut": "2026-03-10T00:00:00Z", "dateFin": "2026-03-10T00:00:00Z" })).await;
    assert_eq!(s, 200);
    assert_eq!(sim_found_ids(&b), vec![ids[3].clone()]);
}

#[tokio::test]
async fn lifecycle_from_registration_to_paid() {
    let app =
        spawn_simulator_with(|s| s.activation_delay = std::time::Duration::from_secs(600)).await;
    app.set_clock(T0).await;
    let id = app.sim_register(&app.token, &particulier()).await;
    // Not yet activated: rejected.
    app.set_clock("2026-03-01T08:05:00Z").await;
    let mut d = demande(&id, "F-0");
    d["dateDebutEmploi"] = json!("2026-03-01T08:10:00Z");
    d["dateFinEmploi"] = json!("2026-03-01T08:10:00Z");
    let (_, b) = app.sim_submit(&json!([d.clone()])).await;
    assert_eq!(b[0]["errors"][0]["code"], "ERR_PARTICULIER_INCONNU");
    app.set_clock("2026-03-20T12:00:00Z").await;
    let (_, b) = app.sim_get(&format!("/particulier?idClient={id}")).await;
    assert_eq!(
        b["statut"]["description"],
        "Transmission DP possible à partir du 01/03/2026 08:10:00"
    );
    let (_, b) = app.sim_submit(&json!([d])).await;
    assert_eq!(b[0]["statut"], "10", "{b}");
    let dp = b[0]["idDemandePaiement"].as_str().unwrap().to_string();

    let steps = [
        (0, "20"),
        (47 * 3600 + 3599, "20"),
        (1, "30"),
        (2 * 86400 - 1, "30"),
        (1, "50"),
        (2 * 86400 - 1, "50"),
        (1, "70"),
    ];
    for (advance, code) in steps {
        app.advance(advance).await;
        assert_eq!(
            app.sim_status_of(&dp).await["statut"]["code"],
            code,
            "after +{advance}s"
        );
    }
    let paid = app.sim_status_of(&dp).await;
    assert_eq!(paid["statut"]["libelle"], "Payée");
    assert_eq!(
        paid["infoVirement"],
        json!({ "mntVirement": 50, "dateVirement": "2026-03-26T12:00:00Z" })
    );
}

#[tokio::test]
async fn admin_driven_payment_statuses() {
    let app = spawn_simulator().await;
    let id = app.sim_active_client().await;
    let ids = app.sim_seed(&id, &[16, 16, 16, 16]).await;
    let put = |dp: &str, body: Value| {
        let path = format!("/payment-requests/{dp}/status");
        let app = &app;
        async move { app.admin(Method::PUT, &path, Some(body)).await }
    };
    // 40 with infoRejet: final, the clock no longer moves it.
    let (s, b) = put(&ids[0], json!({ "code": "40", "info_rejet": { "code": "CONTEST_ERR_FACT", "commentaire": "Heures fausses" } })).await;
    assert_eq!(
        (s.as_u16(), &b["statut"]["libelle"]),
        (200, &json!("Refusée"))
    );
    // 30 by the client: continues to 50 then 70 with the clock.
    put(&ids[1], json!({ "code": "30" })).await;
    // 70 with a scheduled transfer (no amount yet); 110 cancelled.
    put(
        &ids[2],
        json!({ "code": "70", "info_virement": { "date": "2026-04-01T00:00:00Z" } }),
    )
    .await;
    put(
        &ids[3],
        json!({ "code": "110", "info_rejet": { "code": "ANNUL_DBL", "commentaire": "" } }),
    )
    .await;

    assert_eq!(app.sim_status_of(&ids[1]).await["statut"]["code"], "30");
    app.advance(2 * 86400).await;
    assert_eq!(app.sim_status_of(&ids[1]).await["statut"]["code"], "50");
    app.advance(10 * 86400).await;
    let r = app.sim_status_of(&ids[0]).await;
    assert_eq!(r["statut"]["code"], "40");
    assert_eq!(
        r["infoRejet"],
        json!({ "code": "CONTEST_ERR_FACT", "commentaire": "Heures fausses" })
    );
    let r = app.sim_status_of(&ids[1]).await;
    assert_eq!(r["statut"]["code"], "70");
    assert_eq!(r["infoVirement"]["dateVirement"], "2026-03-24T12:00:00Z");
    let r = app.sim_status_of(&ids[2]).await;
    assert_eq!(
        r["infoVirement"],
        json!({ "dateVirement": "2026-04-01T00:00:00Z" })
    );
    let r = app.sim_status_of(&ids[3]).await;
    assert_eq!(
        (&r["statut"]["code"], &r["statut"]["libelle"]),
        (&json!("110"), &json!("Annulée"))
    );
}
