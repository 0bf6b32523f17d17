//! Callers authenticate with their tenant's API key; tenants never see each other's data.

use crate::helpers::*;

#[tokio::test]
async fn missing_or_wrong_key_is_a_401_problem() {
    let app = TestApp::builder().tenants(&[&TENANT_A]).start().await;
    let gw = app.gw();
    let url = format!("{}/v1/clients/abc", gw.url);
    let requests = [
        gw.http.get(&url),
        gw.http.get(&url).bearer_auth("not-a-key"),
        gw.http
            .get(&url)
            .header("Authorization", format!("Basic {}", gw.key("alpha"))),
    ];
    for req in requests {
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 401);
        assert_eq!(resp.headers()["content-type"], "application/problem+json");
        assert_eq!(resp.headers()["www-authenticate"], "Bearer");
        assert!(resp.headers().contains_key("x-request-id"));
        let body: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(body["code"], "unauthorized");
        assert_eq!(body["status"], 401);
    }
    // Nothing reached Urssaf.
    assert_eq!(app.sim().token_requests(), 0);
}

#[tokio::test]
async fn a_tenant_key_only_acts_for_its_tenant() {
    let app = spawn_app().await;
    let id = app.register_at_simulator(&TENANT_A).await;
    let gw = app.gw();
    let a = gw
        .get("alpha", &format!("/v1/clients/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(a.status(), 200);
    // Tenant B's key uses B's Urssaf credentials, which do not see A's client.
    let b = gw
        .get("beta", &format!("/v1/clients/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(b.status(), 404);
    let body: serde_json::Value = b.json().await.unwrap();
    assert_eq!(body["urssaf"]["code"], "ERR_RECHERCHE_PARTICULIER");
    // Searching is scoped the same way: nothing of A's is found with B's key.
    let search = gw
        .post("beta", "/v1/payment-requests/search")
        .json(&serde_json::json!({"invoice_numbers": ["F-A-1"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(search.status(), 200);
    let body: serde_json::Value = search.json().await.unwrap();
    assert_eq!(
        body,
        serde_json::json!({"payment_requests": [], "not_found": ["F-A-1"]})
    );
}

#[tokio::test]
async fn request_ids_are_echoed_or_made() {
    let app = TestApp::builder().tenants(&[&TENANT_A]).start().await;
    let gw = app.gw();
    let resp = gw
        .http
        .get(format!("{}/healthz", gw.url))
        .header("X-Request-Id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["x-request-id"], "abc-123");
    let resp = gw
        .http
        .get(format!("{}/healthz", gw.url))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["x-request-id"].len(), 36);
    let resp = gw
        .http
        .get(format!("{}/nowhere", gw.url))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    assert_eq!(resp.headers()["content-type"], "application/problem+json");
}
