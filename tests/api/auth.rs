//! Callers authenticate with their tenant's API key; tenants never see each other's data.

use reqwest::Method;
use serde_json::json;

use crate::fixtures::*;
use crate::helpers::*;

#[tokio::test]
async fn missing_or_wrong_key_is_a_401_problem() {
    let app = spawn_app().await;
    let gw = app.gw();
    let anonymous = || gw.anonymous(Method::GET, "/v1/clients/abc");
    let basic = format!("Basic {}", gw.key("alpha"));
    let requests = [
        anonymous(),
        anonymous().bearer_auth("not-a-key"),
        anonymous().header("Authorization", basic),
    ];
    for req in requests {
        let got = read(req.send().await.expect("gateway answers")).await;
        let body = assert_problem(&got, 401, "unauthorized");
        assert_eq!(got.1["www-authenticate"], "Bearer", "{body}");
    }
    // Nothing reached Urssaf.
    assert_eq!(app.sim().token_requests(), 0);
}

#[tokio::test]
async fn a_tenant_key_only_acts_for_its_tenant() {
    let (app, id) = TestApp::builder().start_with_client().await;
    let path = format!("/v1/clients/{id}");
    let (s, _, b) = app.get("alpha", &path).await;
    assert_eq!(s, 200, "{b}");
    // Tenant B's key uses B's Urssaf credentials, which do not see A's client.
    let (s, _, b) = app.get("beta", &path).await;
    assert_eq!(s, 404, "{b}");
    assert_eq!(b["urssaf"]["code"], "ERR_RECHERCHE_PARTICULIER");
    // Searching is scoped the same way: nothing of A's is found with B's key.
    let (s, _, b) = app
        .search("beta", json!({"invoice_numbers": ["F-A-1"]}))
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b, json!({"payment_requests": [], "not_found": ["F-A-1"]}));
}

#[tokio::test]
async fn request_ids_are_echoed_or_made() {
    let app = spawn_app().await;
    let gw = app.gw();
    let healthz = || gw.anonymous(Method::GET, "/healthz");
    let resp = healthz().header("X-Request-Id", "abc-123").send().await;
    assert_eq!(resp.unwrap().headers()["x-request-id"], "abc-123");
    let resp = healthz().send().await.unwrap();
    assert_eq!(resp.headers()["x-request-id"].len(), 36);
    let resp = gw.anonymous(Method::GET, "/nowhere").send().await.unwrap();
    assert_eq!(resp.status(), 404);
    assert_eq!(resp.headers()["content-type"], "application/problem+json");
}
