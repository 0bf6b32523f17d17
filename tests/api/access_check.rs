//! The tenant access check: the real `check` command against the simulator over HTTP, and the
//! gateway's own periodic check at `/checks` on the metrics port and in its metrics.

use std::time::Duration;

use serde_json::Value;

use crate::helpers::*;

pub const BIN: &str = env!("CARGO_BIN_EXE_urssaf-gateway");

/// The app's gateway settings (tenants A and B in front of its simulator) with some changed:
/// the environment of the real binary.
pub fn binary_env(app: &TestApp, changes: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut vars = app.gateway_env().to_vec();
    for (k, v) in changes {
        vars.retain(|(key, _)| key != k);
        vars.push((k.to_string(), v.to_string()));
    }
    vars
}

/// Runs the binary to its end: exit code, stdout, stderr.
pub async fn run(args: &[&str], env: &[(String, String)]) -> (i32, String, String) {
    let out = tokio::process::Command::new(BIN)
        .args(args)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .await
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn check_passes_with_good_credentials_and_names_the_tenant_with_a_wrong_secret() {
    let app = TestApp::builder().no_gateway().start().await;

    let good = binary_env(&app, &[]);
    let (code, out, err) = run(&["check"], &good).await;
    assert_eq!(code, 0, "{out}{err}");
    let rows: Vec<&str> = out.lines().filter(|l| l.ends_with("pass")).collect();
    assert_eq!(rows.len(), 2, "{out}");
    assert!(out.contains("400 ERR_RECHERCHE_VIDE"), "{out}");

    let (code, out, _) = run(&["check", "--json"], &good).await;
    assert_eq!(code, 0);
    let results: Vec<Value> = serde_json::from_str(&out).unwrap();
    for r in &results {
        assert_eq!(r["passed"], true, "{r}");
        assert_eq!(r["token_ok"], true);
        assert_eq!(r["api_reachable"], true);
        assert_eq!(r["urssaf_code"], "ERR_RECHERCHE_VIDE");
        assert!(r["latency_ms"].is_u64());
    }

    let wrong = binary_env(
        &app,
        &[("GATEWAY__TENANTS__BETA__CLIENT_SECRET", "not-the-secret")],
    );
    let (code, out, err) = run(&["check"], &wrong).await;
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("check failed for tenant beta"), "{err}");
    assert!(
        out.contains("tenant beta FAILED: the token endpoint refused the credentials (HTTP 401)"),
        "{out}"
    );
    assert!(!out.contains("tenant alpha FAILED"), "{out}");
    assert!(!out.contains("not-the-secret") && !err.contains("not-the-secret"));

    let (code, out, _) = run(&["check", "--json"], &wrong).await;
    assert_eq!(code, 1);
    let results: Vec<Value> = serde_json::from_str(&out).unwrap();
    let beta = results.iter().find(|r| r["tenant"] == "beta").unwrap();
    assert_eq!(beta["passed"], false);
    assert_eq!(beta["token_ok"], false);
    assert!(beta["hint"]
        .as_str()
        .unwrap()
        .contains("client id and secret"));

    // Only the tenants asked for are checked.
    let (code, out, _) = run(&["check", "--tenant", "alpha"], &wrong).await;
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("beta"), "{out}");
    let (code, _, err) = run(&["check", "--tenant", "gamma"], &wrong).await;
    assert_eq!(code, 2);
    assert!(
        err.contains("--tenant gamma: no such tenant (configured: alpha, beta)"),
        "{err}"
    );
}

#[tokio::test]
async fn check_says_which_tenant_urssaf_refuses_when_the_api_is_down() {
    let app = TestApp::builder()
        .simulator(|s| s.faults.error_503_rate = 1.0)
        .no_gateway()
        .start()
        .await;
    let env = binary_env(&app, &[("GATEWAY__UPSTREAM__MAX_RETRIES", "0")]);
    let (code, out, _) = run(&["check", "--json", "--tenant", "alpha"], &env).await;
    assert_eq!(code, 1, "{out}");
    let results: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(results[0]["token_ok"], true, "{out}");
    assert_eq!(results[0]["api_reachable"], true, "it answered, with a 503");
    assert_eq!(results[0]["urssaf_status"], 503);
    assert_eq!(results[0]["passed"], false);
}

#[tokio::test]
async fn the_gateway_checks_its_tenants_at_start_on_the_metrics_port() {
    // The simulator knows tenant A only: B's credentials are refused.
    let app = TestApp::builder()
        .simulator(|s| s.credentials.retain(|(id, _)| id == A.0))
        .setting("GATEWAY__SERVER__METRICS_PORT", "0")
        .setting("GATEWAY__CHECK__INTERVAL_SECONDS", "3600")
        .setting("GATEWAY__METRICS__PER_TENANT_LABELS", "true")
        .start()
        .await;
    let admin = format!("http://127.0.0.1:{}", app.gw().metrics_port.unwrap());
    let http = reqwest::Client::new();

    let mut answer = (0, Value::Null);
    for _ in 0..100 {
        let resp = http.get(format!("{admin}/checks")).send().await.unwrap();
        if resp.status() == 503 {
            assert_eq!(resp.headers()["retry-after"], "30");
        }
        answer = (resp.status().as_u16(), resp.json().await.unwrap());
        if answer.1["checks"]["status"] != "pending" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (status, problem) = answer;
    assert_eq!(status, 503, "{problem}");
    assert_eq!(problem["code"], "tenant_check_not_passed");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .starts_with("tenant beta: the token endpoint refused the credentials"),
        "{problem}"
    );
    let body = &problem["checks"];
    assert_eq!(body["status"], "fail");
    assert_eq!(body["interval_seconds"], 3600);
    let tenant = |id: &str| {
        body["tenants"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["tenant"] == id)
            .cloned()
            .unwrap()
    };
    assert_eq!(tenant("alpha")["passed"], true);
    assert_eq!(tenant("alpha")["urssaf_code"], "ERR_RECHERCHE_VIDE");
    assert_eq!(tenant("beta")["passed"], false);
    assert_eq!(tenant("beta")["token_ok"], false);

    let metrics = http
        .get(format!("{admin}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(r#"urssaf_gateway_tenant_check_ok{tenant="alpha"} 1"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"urssaf_gateway_tenant_check_ok{tenant="beta"} 0"#),
        "{metrics}"
    );
    assert!(metrics.contains(r#"urssaf_gateway_tenant_check_latency_seconds{tenant="alpha"}"#));
    assert!(
        metrics.contains("urssaf_gateway_tenant_check_failing 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn all_tenants_passing_answers_200_and_checks_can_be_off() {
    for (interval, want_status, want) in [("60", 200, "pass"), ("0", 503, "off")] {
        let app = TestApp::builder()
            .setting("GATEWAY__SERVER__METRICS_PORT", "0")
            .setting("GATEWAY__CHECK__INTERVAL_SECONDS", interval)
            .start()
            .await;
        let admin = format!("http://127.0.0.1:{}", app.gw().metrics_port.unwrap());
        let mut last = (0, Value::Null);
        for _ in 0..100 {
            let resp = reqwest::get(format!("{admin}/checks")).await.unwrap();
            last = (resp.status().as_u16(), resp.json().await.unwrap());
            let summary = if last.0 == 200 {
                &last.1
            } else {
                &last.1["checks"]
            };
            if summary["status"] != "pending" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(last.0, want_status, "{}", last.1);
        let summary = if last.0 == 200 {
            &last.1
        } else {
            &last.1["checks"]
        };
        assert_eq!(summary["status"], want);
    }
}
