//! A problem's `type` leads to its documentation page, served by the gateway itself.

use reqwest::Method;
use urssaf_gateway::api::problem::ProblemCode;

use crate::fixtures::*;
use crate::helpers::*;

#[tokio::test]
async fn every_problem_type_answers_200_with_its_page() {
    let app = spawn_app().await;
    let gw = app.gw();
    // A real problem's `type`, resolved against the request URI as RFC 9457 says.
    let got = read(
        gw.anonymous(Method::GET, "/v1/clients/abc")
            .send()
            .await
            .unwrap(),
    )
    .await;
    let body = assert_problem(&got, 401, "unauthorized");
    let type_uri = body["type"].as_str().unwrap();
    let base = reqwest::Url::parse(&format!("{}/v1/clients/abc", gw.url)).unwrap();
    let resolved = base.join(type_uri).unwrap();
    let page = page_of(gw, resolved.as_str()).await;
    assert_eq!(page.0, 200, "{resolved}");
    assert!(page.2.contains("Missing or unknown API key"), "{}", page.2);

    for code in ProblemCode::ALL {
        let (status, content_type, html) =
            page_of(gw, &format!("{}{}", gw.url, code.type_uri())).await;
        assert_eq!(status, 200, "{code:?}");
        assert_eq!(content_type, "text/html; charset=utf-8");
        assert!(html.contains(code.as_str()), "{code:?}: {html}");
        let head = gw
            .anonymous(Method::HEAD, &code.type_uri())
            .send()
            .await
            .unwrap();
        assert_eq!(head.status(), 200, "HEAD {code:?}");
    }
    let (status, _, index) = page_of(gw, &format!("{}/problems", gw.url)).await;
    assert_eq!(status, 200);
    assert_eq!(index.matches("<li>").count(), ProblemCode::ALL.len());

    let got = read(
        gw.anonymous(Method::GET, "/problems/no-such-code")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_problem(&got, 404, "not_found");
}

/// Status, content type and text of a GET without an API key.
async fn page_of(gw: &Gateway, url: &str) -> (u16, String, String) {
    let resp = gw.http.get(url).send().await.unwrap();
    let content_type = resp.headers()["content-type"].to_str().unwrap().to_string();
    (
        resp.status().as_u16(),
        content_type,
        resp.text().await.unwrap(),
    )
}
