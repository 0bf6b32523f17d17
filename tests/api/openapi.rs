//! The committed OpenAPI document is what the code generates, and what the gateway serves.

use crate::helpers::*;

const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");

#[test]
fn committed_document_matches_the_code() {
    let generated = urssaf_gateway::api::openapi::document_json();
    if std::env::var("UPDATE_OPENAPI").is_ok() {
        std::fs::write(COMMITTED, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(COMMITTED).unwrap_or_default();
    assert!(
        committed == generated,
        "openapi/openapi.json is stale: run `cargo run -- openapi > openapi/openapi.json` (or UPDATE_OPENAPI=1 scripts/test)"
    );
}

#[test]
fn every_operation_documents_its_problems_and_auth() {
    let doc: serde_json::Value =
        serde_json::from_str(&urssaf_gateway::api::openapi::document_json()).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    for (path, ops) in paths.iter().filter(|(p, _)| p.starts_with("/v1/")) {
        for (method, op) in ops.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            // Webhook deliveries never call Urssaf: no 502/504 there.
            let codes: &[&str] = if op["tags"][0] == "webhooks" {
                &["401", "503"]
            } else {
                &["401", "502", "503", "504"]
            };
            for code in codes {
                assert!(
                    responses.contains_key(*code),
                    "{method} {path} documents {code}"
                );
                assert!(
                    responses[*code]["content"]["application/problem+json"].is_object(),
                    "{method} {path} {code} is a problem"
                );
            }
            assert_eq!(
                op["security"][0]["api_key"],
                serde_json::json!([]),
                "{method} {path} needs the API key"
            );
        }
    }
    for schema in [
        "RegisterClientRequest",
        "SubmitPaymentRequests",
        "SearchPaymentRequests",
        "PaymentRequest",
        "ClientDetails",
        "Problem",
    ] {
        assert!(
            doc["components"]["schemas"][schema]["example"].is_object(),
            "{schema} has an example"
        );
    }
}

#[tokio::test]
async fn served_document_and_offline_docs_page() {
    let app = spawn_app().await;
    let gw = app.gw();
    let served = get_json(&gw.http, &format!("{}/openapi.json", gw.url)).await;
    let generated: serde_json::Value =
        serde_json::from_str(&urssaf_gateway::api::openapi::document_json()).unwrap();
    assert_eq!(served, generated);
    let page = gw.anonymous(reqwest::Method::GET, "/docs/").send().await;
    let page = page.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "docs page");
    assert!(
        !html.contains("https://"),
        "no asset loaded from the internet"
    );
}
