//! The tenants directory against an attacker with write access to it and a clumsy operator:
//! keys cannot be taken over, a lost directory drops nobody, a refused file is named and never
//! quoted, directory tenants pass the configuration's checks, and private webhook targets
//! follow each tenant's own upstream.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};
use urssaf_gateway::tenant::hash_key;

use crate::helpers::*;
use crate::tenants_dir::{status_with, until, TempDir};
use crate::webhooks::{message, Receiver, Reply, SECRET};

const ADMIN_TOKEN: &str = "admin-token-for-hardening-tests";

/// A tenant file with these credentials and API keys.
fn tenant_file(spec: &TenantSpec, keys: &[&str]) -> String {
    let hashes: Vec<String> = keys
        .iter()
        .map(|k| format!("\"{}\"", hash_key(k)))
        .collect();
    format!(
        "client_id: {}\nclient_secret: {}\napi_key_hashes: [{}]\n",
        spec.client_id,
        spec.client_secret,
        hashes.join(", ")
    )
}

fn new_key(name: &str) -> String {
    format!("key-{name}-{}", uuid::Uuid::new_v4().simple())
}

/// A gateway reading `dir` (only on admin reloads unless `reload_seconds` > 0), with the admin
/// view on.
async fn app_on(dir: &TempDir, tenants: &[&'static TenantSpec], reload_seconds: u64) -> TestApp {
    TestApp::builder()
        .tenants(tenants)
        .setting("GATEWAY__SERVER__METRICS_PORT", "0")
        .setting("GATEWAY__ADMIN__TOKEN_HASHES", &hash_key(ADMIN_TOKEN))
        .setting("GATEWAY__TENANTS_DIR", dir.0.to_str().unwrap())
        .setting(
            "GATEWAY__TENANTS_RELOAD_SECONDS",
            &reload_seconds.to_string(),
        )
        .start()
        .await
}

async fn admin(gw: &Gateway, method: Method, path: &str) -> Value {
    let port = gw.metrics_port.expect("metrics port");
    let r = gw
        .http
        .request(method, format!("http://127.0.0.1:{port}{path}"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

async fn reload(gw: &Gateway) -> Value {
    admin(gw, Method::POST, "/admin/tenants/reload").await
}

async fn tenant_ids(gw: &Gateway) -> Vec<String> {
    let list = admin(gw, Method::GET, "/admin/tenants").await;
    let mut ids: Vec<String> = list["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

fn problems(report: &Value, file: &str) -> String {
    report["rejected"][file].to_string()
}

#[tokio::test]
async fn key_takeover_a_new_file_never_takes_an_established_key() {
    let dir = TempDir::new();
    let app = app_on(&dir, &[&TENANT_A], 0).await;
    let gw = app.gw();
    let beta_key = new_key("beta");
    dir.write("beta.yaml", &tenant_file(&TENANT_B, &[&beta_key]));
    let report = reload(gw).await;
    assert_eq!(report["added"], json!(["beta"]), "{report}");

    // A file whose name sorts first claims beta's key: refused, beta keeps it.
    dir.write("aaa.yaml", &tenant_file(&TENANT_A, &[&beta_key]));
    let report = reload(gw).await;
    let why = problems(&report, "aaa");
    assert!(why.contains("beta"), "{report}");
    assert!(!why.contains(&hash_key(&beta_key)), "no hash: {report}");
    assert_eq!(report["added"], json!([]), "{report}");
    assert_eq!(tenant_ids(gw).await, ["alpha", "beta"]);
    assert_eq!(status_with(gw, &beta_key).await, 404, "still acts for beta");

    // A configuration tenant's key, claimed by any file name, is refused too.
    dir.write("zzz.yaml", &tenant_file(&TENANT_B, &[gw.key(TENANT_A.id)]));
    let report = reload(gw).await;
    assert!(problems(&report, "zzz").contains("alpha"), "{report}");

    // Beta changed to claim alpha's key: refused, beta's previous version is kept.
    dir.write(
        "beta.yaml",
        &tenant_file(&TENANT_B, &[&beta_key, gw.key(TENANT_A.id)]),
    );
    let report = reload(gw).await;
    assert!(problems(&report, "beta").contains("alpha"), "{report}");
    assert_eq!(report["kept"], json!(["beta"]), "{report}");
    assert_eq!(
        status_with(gw, &beta_key).await,
        404,
        "beta's previous version"
    );

    // Two new files claiming one new key: neither is established, both are refused.
    for f in ["aaa.yaml", "zzz.yaml", "beta.yaml"] {
        dir.remove(f);
    }
    dir.write("beta.yaml", &tenant_file(&TENANT_B, &[&beta_key]));
    let shared = new_key("shared");
    dir.write("ccc.yaml", &tenant_file(&TENANT_A, &[&shared]));
    dir.write("ddd.yaml", &tenant_file(&TENANT_B, &[&shared]));
    let report = reload(gw).await;
    assert!(problems(&report, "ccc").contains("ddd"), "{report}");
    assert!(problems(&report, "ddd").contains("ccc"), "{report}");
    assert_eq!(status_with(gw, &shared).await, 401, "{report}");
    assert_eq!(tenant_ids(gw).await, ["alpha", "beta"]);
}

#[tokio::test]
async fn directory_lost_keeps_every_tenant_and_says_so() {
    let dir = TempDir::new();
    let app = app_on(&dir, &[], 1).await;
    let gw = app.gw();
    let (acme_key, beta_key) = (new_key("acme"), new_key("beta"));
    dir.write("acme.yaml", &tenant_file(&TENANT_A, &[&acme_key]));
    dir.write("beta.yaml", &tenant_file(&TENANT_B, &[&beta_key]));
    until(gw, &acme_key, true).await;
    until(gw, &beta_key, true).await;
    let up = || {
        gw.metrics
            .tenant_source_up
            .with_label_values(&["directory"])
            .get()
    };
    assert_eq!(up(), 1);

    // Moved away (or unmounted): every tenant keeps being served, the metric says why.
    let moved = dir.0.with_extension("moved");
    std::fs::rename(&dir.0, &moved).unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let report = reload(gw).await;
    assert_eq!(report["removed"], json!([]), "{report}");
    assert_eq!(status_with(gw, &acme_key).await, 404);
    assert_eq!(status_with(gw, &beta_key).await, 404);
    assert_eq!(up(), 0);
    let failed = gw
        .metrics
        .tenant_reload_failures
        .with_label_values(&["directory"])
        .get();
    assert!(failed >= 1, "{failed}");

    // Back: healthy again; removing one file still removes that tenant.
    std::fs::rename(&moved, &dir.0).unwrap();
    dir.remove("beta.yaml");
    until(gw, &beta_key, false).await;
    assert_eq!(status_with(gw, &acme_key).await, 404);
    assert_eq!(up(), 1);

    // An empty read after tenants were loaded (an unmounted volume looks like this) drops
    // nobody.
    dir.remove("acme.yaml");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(status_with(gw, &acme_key).await, 404);
    assert_eq!(up(), 0);
}

/// Files that must be refused without a byte of them reaching a log or an answer; each
/// holds a string that must never be seen again.
pub(crate) fn write_leaky_files(dir: &TempDir, outside: &std::path::Path) -> Vec<&'static str> {
    std::fs::write(outside, "root:$6$SHADOW-SECRET-1:19000:0:99999:7:::\n").unwrap();
    std::os::unix::fs::symlink(outside, dir.0.join("shadow.toml")).unwrap();
    dir.write("oneline.yaml", "ONE-LINE-SECRET-2 = [\n");
    dir.write(
        "pasted.yaml",
        "client_id: x\nclient_secret: y\napi_key_hashes: [\"sk_live_PASTED-SECRET-3\"]\n",
    );
    dir.write(
        "typed.yaml",
        "client_id: x\nclient_secret: y\nmax_concurrent: TYPED-SECRET-4\n",
    );
    let mut big = String::from("client_id: BIG-SECRET-5\n");
    while big.len() < 100_000 {
        big.push_str("# padding padding padding padding padding padding padding padding\n");
    }
    dir.write("big.yaml", &big);
    vec![
        "SHADOW-SECRET-1",
        "ONE-LINE-SECRET-2",
        "PASTED-SECRET-3",
        "TYPED-SECRET-4",
        "BIG-SECRET-5",
    ]
}

#[tokio::test]
async fn echo_a_refused_file_is_named_never_quoted() {
    let dir = TempDir::new();
    let outside = std::env::temp_dir().join(format!("ugw-shadow-{}", uuid::Uuid::new_v4()));
    let secrets = write_leaky_files(&dir, &outside);
    let app = app_on(&dir, &[&TENANT_A], 0).await;
    let report = reload(app.gw()).await;
    let _ = std::fs::remove_file(&outside);
    let text = report.to_string();
    for s in secrets {
        assert!(!text.contains(s), "{s} echoed: {text}");
    }
    for f in ["shadow", "oneline", "pasted", "typed", "big"] {
        assert!(report["rejected"][f].is_array(), "{f} not refused: {text}");
    }
    assert!(problems(&report, "shadow").contains("outside"), "{text}");
    assert!(problems(&report, "big").contains("65536"), "{text}");
    assert!(
        problems(&report, "typed").contains("max_concurrent"),
        "{text}"
    );
    assert!(problems(&report, "typed").contains("line 3"), "{text}");
    assert!(problems(&report, "oneline").contains("not a map"), "{text}");
}

/// A tenant file naming a secret file elsewhere (another tenant's mount, an absolute path, a
/// `../` escape, a sibling symlinked out): refused unread, the path never echoed.
#[tokio::test]
async fn echo_a_secret_file_outside_the_directory_is_refused_unread() {
    let dir = TempDir::new();
    let elsewhere = std::env::temp_dir().join(format!("ugw-other-{}", uuid::Uuid::new_v4()));
    std::fs::write(&elsewhere, "OTHER-TENANTS-SECRET").unwrap();
    let outside = elsewhere.display().to_string();
    let keyed = |key: &str| {
        format!(
            "client_id: x\n{key}\napi_key_hashes: [\"{}\"]\n",
            hash_key(&new_key(key))
        )
    };
    dir.write(
        "abs.yaml",
        &keyed(&format!("client_secret_file: {outside}")),
    );
    dir.write(
        "up.yaml",
        &keyed("client_secret_file: ../../../../etc/hostname"),
    );
    dir.write(
        "hook.yaml",
        &keyed(&format!(
            "client_secret: s\nwebhook_url: https://h.example/\nwebhook_secret_file: {outside}"
        )),
    );
    dir.write("sib.yaml", &keyed(""));
    std::os::unix::fs::symlink(&elsewhere, dir.0.join("sib.client_secret")).unwrap();
    let app = app_on(&dir, &[&TENANT_A], 0).await;
    let report = reload(app.gw()).await;
    let _ = std::fs::remove_file(&elsewhere);
    let text = report.to_string();
    assert!(!text.contains("OTHER-TENANTS-SECRET"), "{text}");
    assert!(!text.contains(&outside), "the path is echoed: {text}");
    for f in ["abs", "up", "hook", "sib"] {
        assert!(
            problems(&report, f).contains("not a file inside the tenants directory"),
            "{f}: {text}"
        );
    }
}

#[tokio::test]
async fn unknown_keys_private_webhooks_and_bad_ids_are_refused_from_the_directory() {
    let dir = TempDir::new();
    let app = app_on(&dir, &[&TENANT_A], 0).await;
    let gw = app.gw();
    let base = tenant_file(&TENANT_B, &[&new_key("b")]);
    dir.write(
        "typo.yaml",
        &format!("{base}webhook_ur1: https://billing.example/hook\n"),
    );
    dir.write("UPPER.yaml", &tenant_file(&TENANT_B, &[&new_key("u")]));
    dir.write("-rf.yaml", &tenant_file(&TENANT_B, &[&new_key("r")]));
    dir.write(
        "meta.yaml",
        &format!(
            "{}environment: sandbox\nwebhook_url: https://169.254.169.254/latest\nwebhook_secret: {SECRET}\n",
            tenant_file(&TENANT_B, &[&new_key("m")])
        ),
    );
    let report = reload(gw).await;
    let text = report.to_string();
    assert!(problems(&report, "typo").contains("webhook_ur1"), "{text}");
    assert!(problems(&report, "typo").contains("line 4"), "{text}");
    assert!(problems(&report, "UPPER").contains("lower-case"), "{text}");
    assert!(problems(&report, "-rf").contains("lower-case"), "{text}");
    assert!(problems(&report, "meta").contains("link-local"), "{text}");
    assert_eq!(report["added"], json!([]), "{text}");
}

#[tokio::test]
async fn private_webhook_targets_follow_the_tenant_not_the_gateway() {
    // An embedded-default gateway (private targets allowed for its embedded tenants) with a
    // production tenant whose webhook names a private host.
    let receiver = Receiver::start(|_| Reply::Status(204));
    let url = format!("https://localhost:{}/hook", receiver.port());
    let app = TestApp::builder()
        .setting("GATEWAY__TENANTS__ALPHA__ENVIRONMENT", "production")
        .setting("GATEWAY__TENANTS__ALPHA__WEBHOOK_URL", &url)
        .setting("GATEWAY__TENANTS__ALPHA__WEBHOOK_SECRET", SECRET)
        .setting("GATEWAY__EVENTS__WEBHOOK_RETRY_SCHEDULE", "1")
        .setting("GATEWAY__EVENTS__WEBHOOK_POLL_MS", "50")
        .start()
        .await;
    let gw = app.gw();
    gw.deliveries
        .enqueue(TENANT_A.id, message("evt_private"))
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let attempt = loop {
        let r = gw
            .get(TENANT_A.id, "/v1/webhook-deliveries/evt_private")
            .send()
            .await
            .unwrap();
        let d: Value = r.json().await.unwrap_or(Value::Null);
        if let Some(a) = d["attempts"].as_array().and_then(|a| a.first()) {
            break a.clone();
        }
        assert!(started.elapsed() < Duration::from_secs(10), "{d}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let error = attempt["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("not allowed as a webhook target"),
        "{attempt}"
    );
    assert!(receiver.got().is_empty());

    // A literal private address for a production tenant is refused at start.
    let vars = [
        ("GATEWAY__TENANTS__ACME__CLIENT_ID", "x"),
        ("GATEWAY__TENANTS__ACME__CLIENT_SECRET", "y"),
        ("GATEWAY__TENANTS__ACME__API_KEY_HASHES", &hash_key("k")),
        ("GATEWAY__TENANTS__ACME__ENVIRONMENT", "production"),
        (
            "GATEWAY__TENANTS__ACME__WEBHOOK_URL",
            "http://169.254.169.254/",
        ),
        ("GATEWAY__TENANTS__ACME__WEBHOOK_SECRET", SECRET),
    ]
    .map(|(k, v)| (k.to_string(), v.to_string()));
    let s = urssaf_gateway::config::Settings::load_from(None, vars).unwrap();
    assert_eq!(s.problems().len(), 1, "{:?}", s.problems());
}
