use chrono::Utc;

use super::*;

fn report(verdict: Verdict) -> Report {
    let now = Utc::now();
    Report {
        title: "Urssaf test campaign".into(),
        gateway_version: "0.0.0",
        tenant: "acme".into(),
        environment: "sandbox",
        urssaf_api: "https://api-edi.urssaf.fr/atp/v1/tiersPrestations".into(),
        token_url: "https://api-edi.urssaf.fr/api/oauth/v1/token".into(),
        oauth_client_id: "acme-id".into(),
        started_at: now,
        finished_at: now,
        passed: verdict == Verdict::Passed,
        options: Options {
            identity_file: None,
            born_abroad: false,
            multi_line: true,
            one_cent: false,
            activation_wait_seconds: 300,
        },
        notes: vec!["Tokens are masked.".into()],
        steps: vec![Step {
            id: "M010",
            title: "Register the test person",
            urssaf_calls: "POST /particulier",
            verdict,
            started_at: Some(now),
            duration_ms: Some(12),
            outcome: "registered <script>|x".into(),
            failure: (verdict == Verdict::Failed).then(|| Failure {
                urssaf_code: Some("ERR_CONTACT".into()),
                problem: "refused".into(),
                hint: Some("send the same contact details".into()),
                ..Failure::default()
            }),
            notes: vec![],
            exchanges: vec![ExchangeRecord {
                at: now,
                operation: "register_client",
                method: "POST".into(),
                url: "https://x/particulier".into(),
                request_headers: vec![Header {
                    name: "authorization".into(),
                    value: "Bearer ***".into(),
                }],
                request_body: Some(r#"{"nomNaissance":"O'Brien <b>"}"#.into()),
                status: Some(200),
                answer_body: Some(r#"{"idClient":"c0ffee"}"#.into()),
                error: None,
                latency_ms: 12,
            }],
            omitted_exchanges: 0,
        }],
    }
}

#[test]
fn html_is_escaped_and_self_contained() {
    let html = report(Verdict::Passed).to_html();
    assert!(!html.contains("<script>"));
    assert!(html.contains("registered &lt;script&gt;|x"));
    assert!(html.contains("O&#39;Brien &lt;b&gt;"));
    assert!(!html.contains("http-equiv") && !html.contains("<link") && !html.contains("src="));
    assert!(html.contains("@media print"));
}

#[test]
fn markdown_summary_and_failure() {
    let md = report(Verdict::Failed).to_markdown();
    assert!(
        md.contains("| M010 | Register the test person | POST /particulier | FAILED |"),
        "{md}"
    );
    assert!(md.contains("registered <script>\\|x"), "{md}");
    assert!(md.contains("- Urssaf code: `ERR_CONTACT`"));
    assert!(md.contains("- gateway hint: send the same contact details"));
    assert!(md.contains("authorization: Bearer ***"));
    assert!(md.starts_with("# Urssaf test campaign\n\n**FAILED at M010"));
}

#[test]
fn scrub_masks_long_secrets_only() {
    assert_eq!(scrub("a s3cr3t-value b", &["s3cr3t-value"]), "a *** b");
    assert_eq!(scrub("ordinary words", &["or"]), "ordinary words");
}

#[test]
fn bodies_are_kept_as_sent() {
    assert_eq!(body_value(b""), None);
    assert_eq!(body_value(b" \n"), None);
    assert_eq!(
        body_value(br#"{"b":1,"a":2}"#).as_deref(),
        Some(r#"{"b":1,"a":2}"#)
    );
}

#[test]
fn json_indented_in_its_own_order() {
    let text = r#"{"z":[1,2],"a":{},"s":"x,{\"y\":[]}","e":[],"n":{"k":null}}"#;
    let want = "{\n  \"z\": [\n    1,\n    2\n  ],\n  \"a\": {},\n  \"s\": \"x,{\\\"y\\\":[]}\",\n  \"e\": [],\n  \"n\": {\n    \"k\": null\n  }\n}";
    assert_eq!(indent_json(text), want);
    // Whitespace outside strings is normalised, content is not touched.
    let v: serde_json::Value = serde_json::from_str(&indent_json(text)).unwrap();
    assert_eq!(v, serde_json::from_str::<serde_json::Value>(text).unwrap());
    assert_eq!(indent_json("not json"), "not json");
    assert_eq!(indent_json("[ ]"), "[]");
}
