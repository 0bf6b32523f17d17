//! The simulator's token endpoint, bearer checks and admin API.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::fixtures::*;
use crate::helpers::*;

type Form<'a> = &'a [(&'a str, &'a str)];

// ------------------------------------------------------------------ token and bearer

async fn token_call(
    app: &TestApp,
    form: &[(&str, &str)],
    basic: Option<(&str, &str)>,
) -> (StatusCode, Value) {
    let mut req = app
        .http
        .post(format!("{}/api/oauth/v1/token", app.sim_url))
        .form(form);
    if let Some((id, secret)) = basic {
        req = req.basic_auth(id, Some(secret));
    }
    app.sim_send(req).await
}

#[tokio::test]
async fn token_with_form_or_basic_credentials() {
    let app = spawn_simulator().await;
    let grant = [
        ("grant_type", "client_credentials"),
        ("scope", "homeplus.tiersprestations"),
    ];
    let (s, b) = token_call(&app, &grant, Some(A)).await;
    assert_eq!(s, 200);
    assert_eq!(b["token_type"], "Bearer");
    assert_eq!(b["expires_in"], 3600);
    assert_eq!(b["scope"], "homeplus.tiersprestations");
    let t = b["access_token"].as_str().unwrap();
    assert!(t.len() >= 32 && t != app.token);
    // The Basic-issued token works on the API.
    let (s, _) = app.sim_get_as(t, "/particulier?idClient=nope").await;
    assert_eq!(s, 400);
    // One token in `start`, one here.
    assert_eq!(app.sim().token_requests(), 2);
}

#[tokio::test]
async fn token_errors() {
    let app = spawn_simulator().await;
    let cases: [(Form, u16, &str); 4] = [
        (
            &[
                ("grant_type", "client_credentials"),
                ("client_id", A.0),
                ("client_secret", "wrong"),
            ],
            401,
            "invalid_client",
        ),
        (
            &[
                ("grant_type", "client_credentials"),
                ("client_id", "nobody"),
                ("client_secret", A.1),
            ],
            401,
            "invalid_client",
        ),
        (
            &[
                ("grant_type", "password"),
                ("client_id", A.0),
                ("client_secret", A.1),
            ],
            400,
            "invalid_request",
        ),
        (
            &[
                ("grant_type", "client_credentials"),
                ("scope", "other"),
                ("client_id", A.0),
                ("client_secret", A.1),
            ],
            400,
            "invalid_scope",
        ),
    ];
    for (form, status, error) in cases {
        let (s, b) = token_call(&app, form, None).await;
        assert_eq!(s.as_u16(), status, "{form:?}");
        assert_eq!(b["error"], error);
        assert!(b["error_description"].is_string());
    }
    assert_eq!(app.sim().token_requests(), 5);
}

#[tokio::test]
async fn api_requires_a_valid_unexpired_bearer() {
    let app = spawn_simulator().await;
    let url = format!("{}{BASE}/particulier?idClient=x", app.sim_url);
    let (s, _) = app.sim_send(app.http.get(&url)).await;
    assert_eq!(s, 401);
    let (s, _) = app
        .sim_get_as("not-a-token", "/particulier?idClient=x")
        .await;
    assert_eq!(s, 401);
    // Tokens issued while the override is 0 s are born expired.
    app.sim().set_faults(urssaf_gateway::simulator::Faults {
        token_lifetime_secs: Some(0),
        ..Default::default()
    });
    let (s, b) = token_call(&app, &[("grant_type", "client_credentials")], Some(A)).await;
    assert_eq!((s.as_u16(), b["expires_in"].as_u64()), (200, Some(0)));
    let (s, _) = app
        .sim_get_as(
            b["access_token"].as_str().unwrap(),
            "/particulier?idClient=x",
        )
        .await;
    assert_eq!(s, 401);
    // The earlier token is still good.
    let (s, _) = app.sim_get("/particulier?idClient=x").await;
    assert_eq!(s, 400);
}

#[tokio::test]
async fn token_lifetime_is_configurable() {
    let app =
        spawn_simulator_with(|s| s.token_lifetime = std::time::Duration::from_secs(120)).await;
    let (_, b) = token_call(&app, &[("grant_type", "client_credentials")], Some(B)).await;
    assert_eq!(b["expires_in"], 120);
}

// ------------------------------------------------------------------ admin

#[tokio::test]
async fn admin_clock_stats_and_reset() {
    let app = spawn_simulator().await;
    app.set_clock("2030-01-01T00:00:00Z").await;
    app.advance(90).await;
    let (s, b) = app.admin(Method::GET, "/clock", None).await;
    assert_eq!(s, 200);
    assert!(
        b["now"].as_str().unwrap().starts_with("2030-01-01T00:01:3"),
        "{b}"
    );
    let id = app.sim_active_client().await;
    app.sim_submit(&json!([demande(&id, "F-1")])).await;
    app.sim_search(json!({ "idDemandePaiements": ["1"] })).await;
    app.sim_get(&format!("/particulier?idClient={id}")).await;
    let (_, stats) = app.admin(Method::GET, "/stats", None).await;
    assert_eq!(
        stats,
        json!({ "token_requests": 1, "submissions": 1, "searches": 1, "client_reads": 1 })
    );

    let (s, _) = app.admin(Method::POST, "/reset", None).await;
    assert_eq!(s, 204);
    let (_, stats) = app.admin(Method::GET, "/stats", None).await;
    assert_eq!(
        stats,
        json!({ "token_requests": 0, "submissions": 0, "searches": 0, "client_reads": 0 })
    );
    let (_, b) = app.admin(Method::GET, "/clock", None).await;
    assert_eq!(b["offset_seconds"], 0);
    // Data gone, token kept.
    let (s, b) = app.sim_get(&format!("/particulier?idClient={id}")).await;
    assert_400(s, &b, "ERR_RECHERCHE_PARTICULIER");
}

#[tokio::test]
async fn admin_rejects_bad_input_and_can_be_disabled() {
    let app = spawn_simulator().await;
    let put = |path: &'static str, body: Value| app.admin(Method::PUT, path, Some(body));
    let (s, _) = put("/faults", json!({ "no_such_knob": true })).await;
    assert_eq!(s, 400);
    for (knob, rate) in [
        ("error_500_rate", json!(1.5)),
        ("error_503_rate", json!(-0.1)),
        ("error_429_rate", json!(2)),
    ] {
        let (s, b) = put("/faults", json!({ knob: rate })).await;
        assert_eq!(s, 400, "{knob}");
        assert!(b["error"].as_str().unwrap().contains(knob), "{b}");
    }
    let (_, faults) = app.admin(Method::GET, "/faults", None).await;
    assert_eq!(
        faults["error_500_rate"], 0.0,
        "a refused value is not stored"
    );
    let dp = "/payment-requests/11000000000100/status";
    let cases = [
        ("/faults", json!({ "error_429_rate": 0.0 }), 200),
        ("/faults", json!({ "error_429_rate": 1.0 }), 200),
        ("/faults", json!({}), 200),
        (dp, json!({ "code": "999" }), 400),
        (dp, json!({ "code": "40" }), 404),
        (
            "/clients/x/status",
            json!({ "code": "APPAREILLAGE_VALIDE" }),
            404,
        ),
    ];
    for (path, body, status) in cases {
        let (s, b) = put(path, body.clone()).await;
        assert_eq!(s, status, "{path} {body}: {b}");
    }

    let off = spawn_simulator_with(|s| s.admin_enabled = false).await;
    let (s, _) = off.admin(Method::GET, "/stats", None).await;
    assert_eq!(s, 404);
}
