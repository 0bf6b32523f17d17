//! The simulator's E3 settings: what a refused request does to its number, business errors
//! as 400, rules switched off or changed.

use reqwest::Method;

use crate::fixtures::*;
use crate::helpers::*;
use serde_json::json;
use urssaf_gateway::simulator::Rules;

use super::{item_errors, with};

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
