//! `GET /v1/webhook-deliveries` pages with a cursor, as the feed does: `after` = the last
//! answer's `next_cursor`, `null` once nothing follows.

use std::collections::HashSet;
use std::time::Duration;

use serde_json::Value;

use crate::helpers::{Gateway, TENANT_A};
use crate::webhooks::{message, wait_for, with_webhook, Receiver, Reply};

async fn list(gw: &Gateway, query: &str) -> (u16, Value) {
    let r = gw
        .get(TENANT_A.id, &format!("/v1/webhook-deliveries{query}"))
        .send()
        .await
        .expect("gateway answers");
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn pages_through_five(redis: bool) {
    let receiver = Receiver::start(|_| Reply::Status(204));
    let mut builder = with_webhook(&receiver, "1");
    if redis {
        builder = builder.redis();
    }
    let app = builder.start().await;
    let gw = app.gw();
    let ids: HashSet<String> = (0..5).map(|i| format!("evt_page_{i}")).collect();
    for id in &ids {
        gw.deliveries
            .enqueue(TENANT_A.id, message(id))
            .await
            .unwrap();
    }
    wait_for("5 deliveries", Duration::from_secs(10), || {
        receiver.got().len() == 5
    })
    .await;
    // The receiver has them; their records are written right after.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let mut seen = HashSet::new();
    let mut sizes = Vec::new();
    let mut query = "?status=delivered&limit=2".to_string();
    loop {
        let (code, page) = list(gw, &query).await;
        assert_eq!(code, 200, "{page}");
        let got = page["deliveries"].as_array().unwrap();
        sizes.push(got.len());
        for d in got {
            assert!(seen.insert(d["id"].as_str().unwrap().to_string()), "{page}");
        }
        match page["next_cursor"].as_str() {
            Some(c) => query = format!("?status=delivered&limit=2&after={c}"),
            None => break,
        }
        assert!(sizes.len() < 5, "{sizes:?}");
    }
    assert_eq!(seen, ids);
    assert_eq!(sizes, [2, 2, 1]);

    for (query, pointer) in [
        ("?limit=ten", "/limit"),
        ("?limit=0", "/limit"),
        ("?limit=101", "/limit"),
        ("?after=nope", "/after"),
        ("?page=2", "/page"),
    ] {
        let (code, p) = list(gw, query).await;
        assert_eq!(code, 422, "{query}: {p}");
        assert_eq!(p["errors"][0]["pointer"], pointer, "{query}: {p}");
    }
}

#[tokio::test]
async fn deliveries_page_with_a_cursor_in_memory() {
    pages_through_five(false).await;
}

#[tokio::test]
async fn deliveries_page_with_a_cursor_in_redis() {
    pages_through_five(true).await;
}
