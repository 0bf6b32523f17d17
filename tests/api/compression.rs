//! Large answers are compressed for a client that accepts it; small ones never are.

use std::io::Read;

use reqwest::Method;

use crate::helpers::TestApp;

fn gunzip(bytes: &[u8]) -> String {
    let mut text = String::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_string(&mut text)
        .unwrap();
    text
}

#[tokio::test]
async fn large_answers_are_gzipped_small_ones_go_as_they_are() {
    let (app, id) = TestApp::builder().start_with_client().await;
    let gw = app.gw();
    let doc = gw
        .anonymous(Method::GET, "/openapi.json")
        .header("Accept-Encoding", "gzip, deflate")
        .send()
        .await
        .unwrap();
    assert_eq!(doc.status(), 200);
    assert_eq!(doc.headers()["content-encoding"], "gzip");
    assert_eq!(doc.headers()["vary"], "accept-encoding");
    let zipped = doc.bytes().await.unwrap();
    let text = gunzip(&zipped);
    assert!(
        zipped.len() * 4 < text.len(),
        "{} → {}",
        text.len(),
        zipped.len()
    );
    let served: serde_json::Value = serde_json::from_str(&text).unwrap();
    let generated: serde_json::Value =
        serde_json::from_str(&urssaf_gateway::api::openapi::document_json()).unwrap();
    assert_eq!(served, generated);

    // Without Accept-Encoding, or refusing every encoding, the document as it is.
    for accept in [None, Some("br"), Some("gzip;q=0")] {
        let mut req = gw.anonymous(Method::GET, "/openapi.json");
        if let Some(a) = accept {
            req = req.header("Accept-Encoding", a);
        }
        let plain = req.send().await.unwrap();
        assert_eq!(plain.status(), 200, "{accept:?}");
        assert!(
            plain.headers().get("content-encoding").is_none(),
            "{accept:?}"
        );
        let v: serde_json::Value = plain.json().await.unwrap();
        assert_eq!(v, generated, "{accept:?}");
    }

    // A client's status (a few hundred bytes) is never compressed.
    let one = gw
        .get("alpha", &format!("/v1/clients/{id}"))
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(one.status(), 200);
    assert!(one.headers().get("content-encoding").is_none());
    let v: serde_json::Value = one.json().await.unwrap();
    assert_eq!(v["client_id"], id.as_str());
}
