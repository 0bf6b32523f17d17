//! E3 (payment-request submission) against the simulator.

mod bad_requests;
mod rules;

use crate::fixtures::*;
use crate::helpers::*;
use serde_json::{json, Value};

fn with(id: &str, num: &str, f: impl FnOnce(&mut Value)) -> Value {
    let mut d = demande(id, num);
    f(&mut d);
    d
}

/// Submits one demande and returns the codes of its per-item errors (200 expected).
async fn item_errors(app: &TestApp, d: Value) -> Vec<String> {
    let (s, b) = app.sim_submit(&json!([d])).await;
    assert_eq!(s, 200, "{b}");
    let item = &b[0];
    match item.get("errors") {
        Some(errs) => {
            assert!(item.get("idDemandePaiement").is_none(), "{b}");
            errs.as_array()
                .unwrap()
                .iter()
                .map(|e| e["code"].as_str().unwrap().to_string())
                .collect()
        }
        None => vec![],
    }
}

#[tokio::test]
async fn valid_demandes_are_integrated_with_increasing_numeric_ids() {
    let app = spawn_simulator().await;
    let id = app.sim_active_client().await;
    let (s, b) = app
        .sim_submit(&json!([demande(&id, "F-1"), demande(&id, "F-2")]))
        .await;
    assert_eq!(s, 200, "{b}");
    let ids: Vec<u64> = (0..2)
        .map(|i| {
            assert_eq!(b[i]["statut"], "10");
            assert_eq!(b[i]["idClient"], id.as_str());
            assert!(b[i].get("errors").is_none());
            let dp = b[i]["idDemandePaiement"].as_str().unwrap();
            assert_eq!(dp.len(), 14);
            dp.parse().unwrap()
        })
        .collect();
    assert_eq!(b[1]["numFactureTiers"], "F-2");
    assert!(ids[1] > ids[0]);
    assert_eq!(app.sim().submissions(), 1);
}

#[tokio::test]
async fn business_rules_reject_the_item_inside_a_200() {
    let app = spawn_simulator().await;
    let id = app.sim_active_client().await;
    let p = "inputPrestations";
    let cases: Vec<(&str, Mutation)> = vec![
        (
            "ERR_PARTICULIER_INCONNU",
            Box::new(|d| d["idClient"] = json!("af0be430-908a-11eb-a8b3-0242ac130003")),
        ),
        (
            "ERR_PARTICULIER_INCONNU",
            Box::new(|d| d["dateNaissanceClient"] = json!("1980-03-30T00:00:00Z")),
        ),
        (
            "ERR_MNT_PREST_TTC",
            Box::new(move |d| {
                d[p][0]["mntUnitaireTTC"] = json!(24.99);
            }),
        ),
        (
            "ERR_MNT_PREST_HT_TVA",
            Box::new(move |d| {
                d[p][0]["mntPrestationTVA"] = json!(4.54);
            }),
        ),
        (
            "ERR_TOTAL_PRESTATIONS",
            Box::new(|d| d["mntFactureTTC"] = json!(50.01)),
        ),
        (
            "ERR_FORMAT_VALEUR",
            Box::new(|d| d["mntFactureHT"] = json!(45.451)),
        ),
        (
            "ERR_FORMAT_VALEUR",
            Box::new(move |d| {
                d[p][0]["mntUnitaireTTC"] = json!(25.0001);
            }),
        ),
        (
            "ERR_VALEUR_NEGATIVE",
            Box::new(|d| d["mntAcompte"] = json!(-1)),
        ),
        (
            "ERR_MONTANT_ACOMPTE",
            Box::new(|d| d["mntAcompte"] = json!(25.01)),
        ),
        (
            "ERR_DATE_FIN_AVANT_DATE_DEB",
            Box::new(|d| d["dateFinEmploi"] = json!("2026-03-01T23:59:59Z")),
        ),
        (
            "ERR_PERIODE_EMPLOI_MOIS_NON_UNIQUE",
            Box::new(|d| d["dateDebutEmploi"] = json!("2026-02-27T00:00:00Z")),
        ),
        (
            "ERR_DATE_FUTUR",
            Box::new(|d| d["dateFinEmploi"] = json!("2026-03-20T12:00:01Z")),
        ),
        (
            "ERR_DATE_FUTUR",
            Box::new(move |d| {
                d[p][0]["dateFinEmploi"] = json!("2026-03-25T00:00:00Z");
            }),
        ),
        (
            "ERR_LIEN_PARTICULIER_PRESTATAIRE",
            Box::new(|d| d["dateDebutEmploi"] = json!("2026-03-01T07:59:59Z")),
        ),
        (
            "ERR_CODE_NATURE",
            Box::new(move |d| {
                d[p][0]["codeNature"] = json!("ENF");
            }),
        ),
        (
            "ERR_NUMINTERVENANT_MANQUANT",
            Box::new(move |d| {
                d[p][0].as_object_mut().unwrap().remove("complement2");
            }),
        ),
        (
            "ERR_FORMAT_NUMINTERVENANT",
            Box::new(move |d| {
                d[p][0]["complement2"] = json!("SAP12345678");
            }),
        ),
        (
            "ERR_FORMAT_NUMINTERVENANT",
            Box::new(move |d| {
                d[p][0]["complement2"] = json!("91281880900090");
            }),
        ),
        (
            "ERR_NUMINTERVENANT_BLOQUE",
            Box::new(move |d| {
                d[p][0]["complement2"] = json!("SAP000000000");
            }),
        ),
    ];
    for (i, (code, mutate)) in cases.into_iter().enumerate() {
        let d = with(&id, &format!("BAD-{i}"), |d| mutate(d));
        let codes = item_errors(&app, d).await;
        assert!(
            codes.iter().any(|c| c == code),
            "case {i}: expected {code}, got {codes:?}"
        );
    }
    // None of them was stored: the numbers are still free.
    let (s, b) = app
        .sim_post(
            "/demandePaiement/rechercher",
            &json!({ "numFactureTiers": ["BAD-0", "BAD-1"] }),
        )
        .await;
    assert_400(s, &b, "ERR_RECHERCHE_VIDE");
}

#[tokio::test]
async fn accepted_edge_values() {
    let app = spawn_simulator().await;
    let id = app.sim_active_client().await;
    let p = "inputPrestations";
    let cases: Vec<Mutation> = vec![
        // 3-decimal unit price: 69.996 × 5 = 349.98 (CAERP, production).
        Box::new(move |d| {
            d[p][0] = json!({ "codeNature": "60", "quantite": 5, "unite": "FORFAIT", "mntUnitaireTTC": 69.996,
                "mntPrestationTTC": 349.98, "mntPrestationHT": 318.16, "mntPrestationTVA": 31.82,
                "complement2": "SIR91281880900090", "codeActivite": "" });
            d["mntFactureTTC"] = json!(349.98);
        }),
        // Rounding to the cent: 1.75 h × 21.99 = 38.4825 → 38.48.
        Box::new(move |d| {
            d[p][0]["quantite"] = json!(1.75);
            d[p][0]["mntUnitaireTTC"] = json!(21.99);
            d[p][0]["mntPrestationTTC"] = json!(38.48);
            d[p][0]["mntPrestationHT"] = json!(34.98);
            d[p][0]["mntPrestationTVA"] = json!(3.5);
            d["mntFactureTTC"] = json!(38.48);
        }),
        // Deposit of exactly 50 %, end of period exactly now, start exactly at activation.
        Box::new(|d| {
            d["mntAcompte"] = json!(25);
            d["dateVersementAcompte"] = json!("2026-03-10T00:00:00.000Z");
            d["dateFinEmploi"] = json!("2026-03-20T12:00:00Z");
            d["dateDebutEmploi"] = json!("2026-03-01T08:00:00Z");
        }),
    ];
    for (i, mutate) in cases.into_iter().enumerate() {
        let codes = item_errors(&app, with(&id, &format!("OK-{i}"), |d| mutate(d))).await;
        assert!(codes.is_empty(), "case {i}: {codes:?}");
    }
}

#[tokio::test]
async fn client_state_codes() {
    let app = spawn_simulator().await;
    let id = app.sim_active_client().await;
    for (status, code) in [
        ("PARTICULIER_BLOQUE", "ERR_CMPT_BLOQUE"),
        ("MANDAT_ECHU", "ERR_MANDAT_ECHU"),
        ("APPAREILLAGE_EC", "ERR_PARTICULIER_INCONNU"),
        ("APPAREILLAGE_NF", "ERR_PARTICULIER_INCONNU"),
    ] {
        app.set_client_status(&id, json!({ "code": status })).await;
        let codes = item_errors(&app, demande(&id, status)).await;
        assert_eq!(codes, vec![code.to_string()], "{status}");
    }
}

#[tokio::test]
async fn duplicate_invoice_numbers() {
    let app = spawn_simulator().await;
    let id = app.sim_active_client().await;
    assert!(item_errors(&app, demande(&id, "F-1")).await.is_empty());
    assert_eq!(
        item_errors(&app, demande(&id, "F-1")).await,
        vec!["ERR_FACTURE_DOUBLON"]
    );
    // Within one batch: the first wins, the second is rejected, the answer keeps the order.
    let (s, b) = app
        .sim_submit(&json!([
            demande(&id, "F-2"),
            demande(&id, "F-2"),
            with(&id, "F-3", |d| d["mntFactureTTC"] = json!(1))
        ]))
        .await;
    assert_eq!(s, 200);
    assert_eq!(b[0]["statut"], "10");
    assert_eq!(b[1]["errors"][0]["code"], "ERR_FACTURE_DOUBLON");
    assert_eq!(b[2]["numFactureTiers"], "F-3");
    assert_eq!(b[2]["errors"][0]["code"], "ERR_TOTAL_PRESTATIONS");
    // A rejected demande does not take its number, even within the batch.
    let bad = with(&id, "F-4", |d| d["mntFactureTTC"] = json!(1));
    let (_, b) = app.sim_submit(&json!([bad, demande(&id, "F-4")])).await;
    assert_eq!(b[0]["errors"][0]["code"], "ERR_TOTAL_PRESTATIONS");
    assert_eq!(b[1]["statut"], "10", "{b}");
}
