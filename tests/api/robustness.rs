//! No input makes the gateway panic or answer a 5xx of its own: every field of every request
//! body is replaced by hostile values, removed, or joined by an unknown field; each answer is
//! a 2xx or a 4xx with a JSON body, and the gateway keeps serving.

use serde_json::{json, Value};

use crate::fixtures::*;
use crate::helpers::*;

/// Values that break types, lengths, encodings, number ranges and date calendars.
fn hostile() -> Vec<Value> {
    vec![
        Value::Null,
        json!(true),
        json!(0),
        json!(-1),
        json!(1e308),
        json!(u64::MAX),
        json!(""),
        json!(" "),
        json!("é".repeat(300)),
        json!("\u{0}\u{7f}\u{200b}"),
        json!("𝔘𝔯𝔰𝔰𝔞𝔣"),
        json!("99999999999999999999999999999.999"),
        json!("-0.001"),
        json!("1e400"),
        json!("NaN"),
        json!("2026-02-30"),
        json!("0000-00-00"),
        json!("١٢٣"),
        json!([]),
        json!({}),
        json!([[[[[[[[[[[]]]]]]]]]]]),
    ]
}

/// Every path to a leaf (or sub-object) of a JSON value.
fn paths(v: &Value, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                prefix.push(k.clone());
                out.push(prefix.clone());
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                prefix.push(i.to_string());
                out.push(prefix.clone());
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

fn at<'a>(v: &'a mut Value, path: &[String]) -> &'a mut Value {
    path.iter().fold(v, |v, k| match v {
        Value::Array(a) => &mut a[k.parse::<usize>().unwrap()],
        other => &mut other[k.as_str()],
    })
}

/// All variants of a body: each path set to each hostile value, removed, or given a sibling.
fn variants(valid: &Value) -> Vec<Value> {
    let mut all = Vec::new();
    paths(valid, &mut Vec::new(), &mut all);
    let mut out = Vec::new();
    for path in &all {
        for h in hostile() {
            let mut v = valid.clone();
            *at(&mut v, path) = h;
            out.push(v);
        }
        let (parent, last) = path.split_at(path.len() - 1);
        let mut removed = valid.clone();
        match at(&mut removed, parent) {
            Value::Object(m) => {
                m.remove(&last[0]);
            }
            Value::Array(a) => {
                a.remove(last[0].parse::<usize>().unwrap());
            }
            _ => {}
        }
        out.push(removed);
        let mut extra = valid.clone();
        if let Value::Object(m) = at(&mut extra, parent) {
            m.insert(format!("{}_typo", last[0]), json!("x"));
        }
        out.push(extra);
    }
    out
}

async fn check_all(app: &TestApp, path: &str, bodies: Vec<Value>) -> usize {
    let url = format!("{}{path}", app.gw().url);
    let key = app.gw().key("alpha").to_string();
    let mut sent = 0;
    // Concurrency keeps it quick; each answer is checked on its own.
    for chunk in bodies.chunks(32) {
        let calls = chunk.iter().map(|b| {
            let req = app.http.post(&url).bearer_auth(&key).json(b);
            async move {
                let resp = req.send().await.expect("the gateway answers");
                let status = resp.status().as_u16();
                let ct = resp
                    .headers()
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string();
                let text = resp.text().await.unwrap_or_default();
                assert!(status < 500, "{status} for {b}: {text}");
                assert!(
                    ct.starts_with("application/json")
                        || ct.starts_with("application/problem+json"),
                    "{ct} for {b}"
                );
                assert!(
                    serde_json::from_str::<Value>(&text).is_ok(),
                    "JSON body for {b}: {text}"
                );
            }
        });
        futures_util::future::join_all(calls).await;
        sent += chunk.len();
    }
    sent
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_bodies_get_4xx_answers_never_a_crash() {
    let app = spawn_app().await;
    let client = app.active_client("alpha").await;
    let mut sent = check_all(&app, "/v1/clients", variants(&client_body())).await;
    let submission = json!({ "invoices": [invoice(&client, &number("R"))] });
    // Each variant gets its own invoice number so accepted ones do not turn into duplicates.
    let bodies = variants(&submission)
        .into_iter()
        .map(|mut b| {
            if let Some(n) = b
                .pointer_mut("/invoices/0/invoice_number")
                .filter(|n| n.is_string())
            {
                *n = json!(number("R"));
            }
            b
        })
        .collect();
    sent += check_all(&app, "/v1/payment-requests", bodies).await;
    let search = json!({ "ids": ["11000000000100"], "invoice_numbers": ["F-1"],
                         "invoice_date_from": "2026-01-01", "invoice_date_to": "2026-01-31" });
    sent += check_all(&app, "/v1/payment-requests/search", variants(&search)).await;
    assert!(sent > 1000, "{sent} bodies tried");
    // Still serving.
    let (status, _, _) = app.get("alpha", &format!("/v1/clients/{client}")).await;
    assert_eq!(status, 200);
}
