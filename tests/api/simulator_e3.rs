//! E3 (payment-request submission) against the simulator.

use reqwest::Method;

use crate::fixtures::*;
use crate::helpers::*;
use serde_json::{json, Value};
use urssaf_gateway::simulator::Rules;

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

/// Submits `num` (expected integrated) and forces its status through the admin API.
async fn integrate_then_force(app: &TestApp, id: &str, num: &str, code: &str) {
    let (s, b) = app.sim_submit(&json!([demande(id, num)])).await;
    assert_eq!((s.as_u16(), &b[0]["statut"]), (200, &json!("10")), "{b}");
    let dp = b[0]["idDemandePaiement"].as_str().unwrap().to_string();
    app.set_payment_status(&dp, json!({ "code": code })).await;
}

#[tokio::test]
async fn refused_request_keeps_its_number_by_default() {
    let app = spawn_simulator().await;
    let id = app.sim_active_client().await;
    for (num, code) in [("F-40", "40"), ("F-110", "110"), ("F-113", "113")] {
        integrate_then_force(&app, &id, num, code).await;
        assert_eq!(
            item_errors(&app, demande(&id, num)).await,
            vec!["ERR_FACTURE_DOUBLON"],
            "{code}"
        );
    }
    let (_, rules) = app.admin(Method::GET, "/rules", None).await;
    assert_eq!(rules["refused_frees_invoice_number"], false);
}

#[tokio::test]
async fn refused_request_frees_its_number_when_the_rule_says_so() {
    let app = spawn_simulator().await;
    let id = app.sim_active_client().await;
    let rules = json!({ "refused_frees_invoice_number": true });
    app.admin_ok(Method::PUT, "/rules", Some(rules)).await;
    for (num, code) in [
        ("F-40", "40"),
        ("F-100", "100"),
        ("F-110", "110"),
        ("F-111", "111"),
    ] {
        integrate_then_force(&app, &id, num, code).await;
        assert!(
            item_errors(&app, demande(&id, num)).await.is_empty(),
            "{code}"
        );
        // The new request holds the number again.
        assert_eq!(
            item_errors(&app, demande(&id, num)).await,
            vec!["ERR_FACTURE_DOUBLON"],
            "{code}"
        );
    }
    // Requests that are not refused or cancelled keep their number.
    for (num, code) in [("F-30", "30"), ("F-70", "70"), ("F-120", "120")] {
        integrate_then_force(&app, &id, num, code).await;
        assert_eq!(
            item_errors(&app, demande(&id, num)).await,
            vec!["ERR_FACTURE_DOUBLON"],
            "{code}"
        );
    }
    // Same through the Rust API.
    app.sim().set_rules(Rules {
        refused_frees_invoice_number: false,
        ..Rules::default()
    });
    integrate_then_force(&app, &id, "F-41", "40").await;
    assert_eq!(
        item_errors(&app, demande(&id, "F-41")).await,
        vec!["ERR_FACTURE_DOUBLON"]
    );
}

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
async fn business_errors_as_400_knob() {
    let app = spawn_simulator_with(|s| s.business_errors_as_400 = true).await;
    let id = app.sim_active_client().await;
    let bad = with(&id, "F-2", |d| d["mntFactureTTC"] = json!(1));
    let (s, b) = app.sim_submit(&json!([demande(&id, "F-1"), bad])).await;
    assert_400(s, &b, "ERR_TOTAL_PRESTATIONS");
    assert_eq!(b.as_array().unwrap().len(), 1);
    // All or nothing: F-1 was not integrated.
    let (s, b) = app.sim_submit(&json!([demande(&id, "F-1")])).await;
    assert_eq!((s.as_u16(), &b[0]["statut"]), (200, &json!("10")));
}

#[tokio::test]
async fn configurable_rules() {
    let app = spawn_simulator().await;
    let id = app.sim_active_client().await;
    app.sim().set_rules(Rules {
        activity_codes: Some(vec![("100".into(), "100A001".into())]),
        require_complement2: false,
        check_total_ht: true,
        deposits_allowed: false,
        ..Rules::default()
    });
    let p = "inputPrestations";
    let cases: Vec<(&str, Mutation)> = vec![
        (
            "",
            Box::new(move |d| {
                d[p][0].as_object_mut().unwrap().remove("complement2");
            }),
        ),
        (
            "ERR_CODE_ACTIVITE",
            Box::new(move |d| {
                d[p][0]["codeActivite"] = json!("01");
            }),
        ),
        (
            "ERR_CODE_ACTIVITE_NATURE",
            Box::new(move |d| {
                d[p][0]["codeActivite"] = json!("100A001");
            }),
        ),
        (
            "",
            Box::new(move |d| {
                d[p][0]["codeNature"] = json!("100");
                d[p][0]["codeActivite"] = json!("100A001");
            }),
        ),
        (
            "ERR_TOTAL_PRESTATIONS",
            Box::new(|d| d["mntFactureHT"] = json!(45.46)),
        ),
        (
            "ERR_ACOMPTE_BLOQUE",
            Box::new(|d| d["mntAcompte"] = json!(10)),
        ),
    ];
    for (i, (code, mutate)) in cases.into_iter().enumerate() {
        let codes = item_errors(&app, with(&id, &format!("R-{i}"), |d| mutate(d))).await;
        if code.is_empty() {
            assert!(codes.is_empty(), "case {i}: {codes:?}");
        } else {
            assert_eq!(codes, vec![code.to_string()], "case {i}");
        }
    }
    let (s, r) = app.admin(Method::GET, "/rules", None).await;
    assert_eq!((s.as_u16(), &r["deposits_allowed"]), (200, &json!(false)));
    // A provider whose financial guarantee is not in order gets every request refused.
    app.sim().set_rules(Rules {
        financial_guarantee_ok: false,
        ..Rules::default()
    });
    let codes = item_errors(&app, with(&id, "R-G", |_| {})).await;
    assert_eq!(
        codes,
        vec!["ERREUR_GARANTIE_FINANCIERE_NON_CONFORME".to_string()]
    );
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
