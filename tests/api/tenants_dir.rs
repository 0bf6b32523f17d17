//! Tenants at scale: a directory of tenant files read again while running, the admin view on
//! the metrics port, and per-tenant fairness.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{json, Value};
use urssaf_gateway::tenant::hash_key;

use crate::fixtures::*;
use crate::helpers::*;

/// A fresh directory under the system's temp dir, removed when dropped.
pub(crate) struct TempDir(pub(crate) PathBuf);

impl TempDir {
    pub(crate) fn new() -> TempDir {
        let p = std::env::temp_dir().join(format!("ugw-tenants-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }

    pub(crate) fn write(&self, name: &str, text: &str) {
        // Written aside then renamed: the gateway never reads half a file.
        let tmp = self.0.join(format!(".{name}.tmp"));
        std::fs::write(&tmp, text).unwrap();
        std::fs::rename(&tmp, self.0.join(name)).unwrap();
    }

    pub(crate) fn remove(&self, name: &str) {
        std::fs::remove_file(self.0.join(name)).unwrap();
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Tenant A's credentials in a file; its secret in a sibling file, as a Secret mount lays it.
fn tenant_a_file(dir: &TempDir, key: &str) {
    dir.write(
        "acme.yaml",
        &format!(
            "client_id: {}\napi_key_hashes: [\"{}\"]\nworker_id: SAP123456789\n",
            TENANT_A.client_id,
            hash_key(key)
        ),
    );
    dir.write("acme.client_secret", TENANT_A.client_secret);
}

pub(crate) async fn status_with(gw: &Gateway, key: &str) -> u16 {
    gw.anonymous(Method::GET, "/v1/clients?email=nobody@example.org")
        .bearer_auth(key)
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

/// Polls until the key's status is (or is no longer) 401; returns how long it took.
pub(crate) async fn until(gw: &Gateway, key: &str, authorised: bool) -> Duration {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(10) {
        if (status_with(gw, key).await != 401) == authorised {
            return started.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "key never became {}",
        if authorised { "valid" } else { "invalid" }
    );
}

#[tokio::test]
async fn tenant_files_come_and_go_without_a_restart() {
    let dir = TempDir::new();
    let app = TestApp::builder()
        .tenants(&[&TENANT_B])
        .setting("GATEWAY__TENANTS_DIR", dir.0.to_str().unwrap())
        .setting("GATEWAY__TENANTS_RELOAD_SECONDS", "1")
        .start()
        .await;
    let gw = app.gw();
    let key = format!("key-acme-{}", uuid::Uuid::new_v4().simple());
    assert_eq!(status_with(gw, &key).await, 401);

    tenant_a_file(&dir, &key);
    let took = until(gw, &key, true).await;
    assert!(took < Duration::from_secs(5), "usable after {took:?}");
    assert_eq!(status_with(gw, &key).await, 404, "acts for acme at Urssaf");

    // A broken file is refused and its previous version kept.
    dir.write("acme.yaml", "client_id: [not, a, string\n");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(status_with(gw, &key).await, 404, "previous version kept");

    // A file reusing a key of another tenant is refused.
    dir.write(
        "thief.yaml",
        &format!(
            "client_id: x\nclient_secret: y\napi_key_hashes: [\"{}\"]\n",
            hash_key(gw.key(TENANT_B.id))
        ),
    );
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        status_with(gw, gw.key(TENANT_B.id)).await,
        404,
        "beta's key still acts for beta"
    );

    // Removed: its key stops working within seconds.
    dir.remove("acme.yaml");
    let took = until(gw, &key, false).await;
    assert!(took < Duration::from_secs(5), "refused after {took:?}");
}

#[tokio::test]
async fn the_admin_view_lists_tenants_without_secrets_and_reloads() {
    let dir = TempDir::new();
    let token = "admin-token-for-tests";
    let app = TestApp::builder()
        .setting("GATEWAY__SERVER__METRICS_PORT", "0")
        .setting("GATEWAY__ADMIN__TOKEN_HASHES", &hash_key(token))
        .setting("GATEWAY__TENANTS_DIR", dir.0.to_str().unwrap())
        .setting("GATEWAY__TENANTS_RELOAD_SECONDS", "0")
        .start()
        .await;
    let gw = app.gw();
    let admin = format!(
        "http://127.0.0.1:{}",
        gw.metrics_port.expect("metrics port")
    );
    let http = &app.http;

    let got = read(
        http.get(format!("{admin}/admin/tenants"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_problem(&got, 401, "unauthorized");
    let got = read(
        http.get(format!("{admin}/admin/tenants"))
            .bearer_auth("wrong")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_problem(&got, 401, "unauthorized");
    // Never on the public port.
    let (s, _, _) = read(
        http.get(format!("{}/admin/tenants", gw.url))
            .bearer_auth(token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 404);

    // With reloads off, a new file waits for an admin reload (or SIGHUP).
    let key = format!("key-acme-{}", uuid::Uuid::new_v4().simple());
    tenant_a_file(&dir, &key);
    assert_eq!(status_with(gw, &key).await, 401);
    let (s, _, report) = read(
        http.post(format!("{admin}/admin/tenants/reload"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200, "{report}");
    assert_eq!(report["added"], json!(["acme"]), "{report}");
    assert_eq!(status_with(gw, &key).await, 404);

    let (s, _, list) = read(
        http.get(format!("{admin}/admin/tenants"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200, "{list}");
    let text = list.to_string();
    for secret in [TENANT_A.client_secret, TENANT_B.client_secret, &key] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    let acme = list["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "acme")
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(acme["source"], "directory", "{list}");
    assert_eq!(acme["api_keys"], 1, "{list}");
    // It made a call: its token fetch is in its health.
    assert_eq!(acme["health"]["last_token_fetch"]["ok"], true, "{acme}");
}

#[tokio::test]
async fn one_tenant_over_its_limits_gets_429_and_the_others_do_not() {
    let app = TestApp::builder()
        .setting("GATEWAY__TENANTS__ALPHA__RATE_PER_SECOND", "2")
        .start()
        .await;
    let gw = app.gw();
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let got = read(
            gw.get(TENANT_A.id, "/v1/clients?email=nobody@example.org")
                .send()
                .await
                .unwrap(),
        )
        .await;
        if got.0 == 429 {
            let p = assert_problem(&got, 429, "rate_limited");
            let wait: u64 = got.1["retry-after"].to_str().unwrap().parse().unwrap();
            assert!(wait >= 1, "{p}");
        }
        statuses.push(got.0);
    }
    assert!(statuses.contains(&429), "{statuses:?}");
    assert!(statuses[..2].iter().all(|s| *s == 404), "{statuses:?}");
    for _ in 0..6 {
        assert_eq!(
            gw.client_status(TENANT_B.id, "unknown-client").await,
            404,
            "beta is not limited by alpha"
        );
    }

    // Concurrency: one request at a time, while Urssaf is slow.
    let app = TestApp::builder()
        .setting("GATEWAY__TENANTS__ALPHA__MAX_CONCURRENT", "1")
        .start()
        .await;
    app.faults(json!({"latency_ms": 400})).await;
    let gw = app.gw().clone();
    let slow = tokio::spawn({
        let gw = gw.clone();
        async move { gw.client_status(TENANT_A.id, "some-client").await }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let got = read(
        gw.get(TENANT_A.id, "/v1/clients/other-client")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_problem(&got, 429, "rate_limited");
    assert_eq!(slow.await.unwrap(), 404, "the first one is served");
    assert_eq!(gw.client_status(TENANT_A.id, "other-client").await, 404);
}
