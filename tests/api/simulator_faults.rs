//! Fault knobs, each observed from a plain HTTP client.

use crate::fixtures::*;
use crate::helpers::*;
use reqwest::Method;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use urssaf_gateway::simulator::Faults;

#[tokio::test]
async fn faults_round_trip_through_the_admin_api() {
    let app = spawn_simulator().await;
    let (s, b) = app.admin(Method::GET, "/faults", None).await;
    assert_eq!(s, 200);
    assert_eq!(b, serde_json::to_value(Faults::default()).unwrap());
    let (s, _) = app
        .admin(
            Method::PUT,
            "/faults",
            Some(json!({ "empty_400": true, "latency_ms": 5 })),
        )
        .await;
    assert_eq!(s, 200);
    let (_, b) = app.admin(Method::GET, "/faults", None).await;
    assert_eq!(
        (&b["empty_400"], &b["latency_ms"], &b["capital_errors"]),
        (&json!(true), &json!(5), &json!(false))
    );
    app.admin(Method::POST, "/reset", None).await;
    let (_, b) = app.admin(Method::GET, "/faults", None).await;
    assert_eq!(b["empty_400"], false);
}

#[tokio::test]
async fn latency_applies_to_api_and_token_calls() {
    let app = spawn_simulator().await;
    app.sim().set_faults(Faults {
        latency_ms: 150,
        latency_jitter_ms: 50,
        ..Faults::default()
    });
    let t = Instant::now();
    app.sim_get("/particulier?idClient=x").await;
    let api = t.elapsed();
    let t = Instant::now();
    app.token_for(A).await;
    let token = t.elapsed();
    assert!(
        api >= Duration::from_millis(150) && api < Duration::from_secs(2),
        "{api:?}"
    );
    assert!(token >= Duration::from_millis(150), "{token:?}");
}

#[tokio::test]
async fn error_rates_500_503_429() {
    let app = spawn_simulator().await;
    let id = app.sim_active_client().await;
    app.sim().set_faults(Faults {
        error_500_rate: 1.0,
        ..Faults::default()
    });
    let (s, b) = app.sim_submit(&json!([demande(&id, "F-1")])).await;
    assert_eq!(s, 500);
    assert_eq!(b[0]["code"], "ERREUR_TECHNIQUE");

    app.sim().set_faults(Faults {
        error_503_rate: 1.0,
        ..Faults::default()
    });
    let path = format!("/particulier?idClient={id}");
    let resp = app.sim_request(Method::GET, &path).send().await.unwrap();
    assert_eq!(resp.status(), 503);
    assert_eq!(resp.text().await.unwrap(), "");

    app.sim().set_faults(Faults {
        error_429_rate: 1.0,
        ..Faults::default()
    });
    let search = app.sim_request(Method::POST, "/demandePaiement/rechercher");
    let resp = search.json(&json!({})).send().await.unwrap();
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers()["retry-after"], "1");
    // The token endpoint is not subject to API failures.
    app.token_for(A).await;

    // Rates in between really are random: 0.5 over 40 calls gives both outcomes.
    app.sim().set_faults(Faults {
        error_500_rate: 0.5,
        ..Faults::default()
    });
    let mut statuses = std::collections::HashSet::new();
    for _ in 0..40 {
        statuses.insert(
            app.sim_get(&format!("/particulier?idClient={id}"))
                .await
                .0
                .as_u16(),
        );
    }
    assert_eq!(statuses, [200, 500].into_iter().collect());
    // None of the failed submissions was stored, all were counted.
    app.sim().set_faults(Faults::default());
    let (s, _) = app.sim_submit(&json!([demande(&id, "F-1")])).await;
    assert_eq!(s, 200);
    assert_eq!(app.sim().submissions(), 2);
}

#[tokio::test]
async fn empty_400_bodies() {
    let app = spawn_simulator().await;
    app.sim().set_faults(Faults {
        empty_400: true,
        ..Faults::default()
    });
    let lookup = app.sim_request(Method::GET, "/particulier?idClient=x");
    let resp = lookup.send().await.unwrap();
    assert_eq!(resp.status(), 400);
    assert_eq!(resp.text().await.unwrap(), "");
}

#[tokio::test]
async fn capital_errors_and_status_as_array() {
    let app = spawn_simulator().await;
    let id = app.sim_active_client().await;
    let (_, b) = app.sim_submit(&json!([demande(&id, "F-1")])).await;
    let dp = b[0]["idDemandePaiement"].as_str().unwrap().to_string();
    let body = json!({ "idDemandePaiements": [dp, "1"] });
    let (_, b) = app.sim_post("/demandePaiement/rechercher", &body).await;
    assert!(
        b.get("Errors").is_none() && b["errors"].as_array().unwrap().len() == 1,
        "{b}"
    );

    app.sim().set_faults(Faults {
        capital_errors: true,
        status_as_array: true,
        ..Faults::default()
    });
    let (_, b) = app.sim_post("/demandePaiement/rechercher", &body).await;
    assert!(b.get("errors").is_none(), "{b}");
    assert_eq!(b["Errors"][0]["code"], "ERR_RECHERCHE_VIDE");
    let (s, b) = app.sim_get(&format!("/particulier?idClient={id}")).await;
    assert_eq!(s, 200);
    let arr: &Vec<Value> = b.as_array().unwrap();
    assert_eq!((arr.len(), &arr[0]["idClient"]), (1, &json!(id)));
}

#[tokio::test]
async fn drop_after_accept_stores_then_drops_the_connection() {
    let app = spawn_simulator().await;
    let id = app.sim_active_client().await;
    app.sim().set_faults(Faults {
        drop_after_accept: true,
        ..Faults::default()
    });
    let submit = app.sim_request(Method::POST, "/demandePaiement");
    let result = submit.json(&json!([demande(&id, "F-1")])).send().await;
    let err = match result {
        Err(e) => e,
        Ok(resp) => panic!("expected a connection error, got {}", resp.status()),
    };
    // hyper reports "connection closed before message completed".
    assert!(
        err.is_request() && !err.is_status() && !err.is_timeout(),
        "{err:?}"
    );
    assert!(format!("{err:?}").contains("IncompleteMessage"), "{err:?}");

    app.sim().set_faults(Faults::default());
    let (s, b) = app
        .sim_post(
            "/demandePaiement/rechercher",
            &json!({ "numFactureTiers": ["F-1"] }),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["infoDemandePaiements"][0]["statut"]["code"], "20");
    let (_, b) = app.sim_submit(&json!([demande(&id, "F-1")])).await;
    assert_eq!(b[0]["errors"][0]["code"], "ERR_FACTURE_DOUBLON");
    assert_eq!(app.sim().submissions(), 2);
}
