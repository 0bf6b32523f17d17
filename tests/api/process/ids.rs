//! Urssaf's ids never repeat: neither do the simulator's, across restarts of the binary.

use serde_json::{json, Value};

use super::standalone_simulator;
use crate::fixtures::{demande, particulier, BASE, T0};
use crate::helpers::{read, text};

/// Starts the standalone simulator, sends one payment request, stops it; returns its id.
async fn one_payment_request_id() -> String {
    let (mut child, url) = standalone_simulator(&["--client-id", "v", "--client-secret", "s"]);
    let http = reqwest::Client::new();
    let clock = |now: &str| {
        http.put(format!("{url}/__admin/clock"))
            .json(&json!({ "now": now }))
            .send()
    };
    let grant = [
        ("grant_type", "client_credentials"),
        ("scope", "homeplus.tiersprestations"),
    ];
    let token = http
        .post(format!("{url}/api/oauth/v1/token"))
        .basic_auth("v", Some("s"))
        .form(&grant);
    let (_, _, token) = read(token.send().await.unwrap()).await;
    let token = text(&token["access_token"]);
    let post = |path: &str, body: &Value| {
        http.post(format!("{url}{BASE}{path}"))
            .bearer_auth(&token)
            .json(body)
            .send()
    };
    assert!(clock(T0).await.unwrap().status().is_success());
    let (s, _, client) = read(post("/particulier", &particulier()).await.unwrap()).await;
    assert_eq!(s, 200, "{client}");
    assert!(clock("2026-03-20T12:00:00Z")
        .await
        .unwrap()
        .status()
        .is_success());
    let d = demande(&text(&client["idClient"]), "F-1");
    let (s, _, b) = read(post("/demandePaiement", &json!([d])).await.unwrap()).await;
    assert_eq!(s, 200, "{b}");
    let _ = child.kill();
    let _ = child.wait();
    text(&b[0]["idDemandePaiement"])
}

#[tokio::test]
async fn two_simulator_starts_give_different_payment_request_ids() {
    let first = one_payment_request_id().await;
    let second = one_payment_request_id().await;
    assert_ne!(first, second);
    for id in [&first, &second] {
        // Urssaf's shape (the Swagger example `11000000000104`).
        assert!(id.len() == 14 && id.starts_with("11"), "{id}");
        assert!(id.bytes().all(|b| b.is_ascii_digit()), "{id}");
    }
    // The later start numbers above the earlier one.
    assert!(second > first, "{first} {second}");
}
