//! The real `campaign` command against the simulator over HTTP: the four scenarios passed with
//! no secret or token in the report, and a failure at each step said where and why.

mod failures;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use regex::Regex;
use serde_json::Value;
use urssaf_gateway::simulator::Rules;

use crate::access_check::{binary_env, run, BIN};
use crate::helpers::*;

/// The simulator as its own process (`urssaf-gateway simulator`), killed on drop.
struct StandaloneSim {
    child: Child,
    url: String,
}

impl Drop for StandaloneSim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn standalone_simulator() -> StandaloneSim {
    let mut child = Command::new(BIN)
        .args(["simulator", "--port", "0"])
        .args(["--client-id", TENANT_A.client_id])
        .args(["--client-secret", TENANT_A.client_secret])
        .env_clear()
        .env("GATEWAY__SERVER__HOST", "127.0.0.1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let banner = BufReader::new(child.stderr.take().unwrap())
        .lines()
        .next()
        .unwrap()
        .unwrap();
    let url = banner
        .strip_prefix("urssaf simulator on ")
        .and_then(|r| r.split(' ').next())
        .unwrap_or_else(|| panic!("{banner}"))
        .to_string();
    StandaloneSim { child, url }
}

struct Out {
    dir: PathBuf,
}

impl Out {
    fn new() -> Out {
        Out {
            dir: std::env::temp_dir().join(format!("campaign-{}", uuid::Uuid::new_v4().simple())),
        }
    }

    fn path(&self) -> &str {
        self.dir.to_str().unwrap()
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.read("report.json")).unwrap()
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.join(name)).unwrap()
    }

    /// The three files, for greps.
    fn all(&self) -> String {
        ["report.json", "report.md", "report.html"]
            .iter()
            .map(|n| self.read(n))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for Out {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `campaign --tenant alpha` run with `env`, its report in a folder of its own: the report,
/// the exit code, stdout and stderr.
async fn campaign_for_alpha(env: &[(String, String)]) -> (Out, i32, String, String) {
    let out = Out::new();
    let (code, stdout, stderr) =
        run(&["campaign", "--tenant", "alpha", "--out", out.path()], env).await;
    (out, code, stdout, stderr)
}

fn verdicts(report: &Value) -> Vec<(String, String)> {
    report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["id"].as_str().unwrap().to_string(),
                s["verdict"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn expect(verdicts_in_order: &[&str]) -> Vec<(String, String)> {
    ["M010", "M020", "M050", "M070"]
        .iter()
        .zip(verdicts_in_order)
        .map(|(id, v)| (id.to_string(), v.to_string()))
        .collect()
}

/// Nothing secret: no client secret, no bearer token (the simulator's are 64 hex digits), no
/// Authorization value other than the mask.
fn assert_no_secret(out: &Out, secret: &str) {
    let text = out.all();
    assert!(!text.contains(secret), "the client secret is in the report");
    let token = Regex::new(r"[0-9a-fA-F]{64}").unwrap();
    assert!(!token.is_match(&text), "a token is in the report");
    let bearer = Regex::new(r"(?i)(bearer|basic) ([^* \n<]+)").unwrap();
    assert!(
        bearer.captures_iter(&text).all(|c| &c[2] == "***"),
        "unmasked authorization: {:?}",
        bearer.find(&text)
    );
}

#[tokio::test]
async fn the_campaign_passes_against_the_standalone_simulator_without_leaking_a_secret() {
    let sim = standalone_simulator();
    let app = TestApp::builder()
        .upstream(&sim.url)
        .no_gateway()
        .start()
        .await;
    let env = app.gateway_env().to_vec();

    let (out, code, stdout, stderr) = campaign_for_alpha(&env).await;
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("PASSED: the 4 scenarios passed."),
        "{stdout}"
    );
    let report = out.json();
    assert_eq!(verdicts(&report), expect(&["passed"; 4]), "{report:#}");
    assert_eq!(report["passed"], true);
    assert_eq!(report["tenant"], "alpha");
    let steps = report["steps"].as_array().unwrap();
    let first = &steps[0]["exchanges"][0];
    assert_eq!(first["method"], "POST");
    assert!(first["url"]
        .as_str()
        .unwrap()
        .ends_with("/atp/v1/tiersPrestations/particulier"));
    assert_eq!(first["status"], 200);
    assert!(first["request_headers"]
        .as_array()
        .unwrap()
        .iter()
        .any(|h| h["name"] == "authorization" && h["value"] == "Bearer ***"));
    let sent: Value = serde_json::from_str(first["request_body"].as_str().unwrap()).unwrap();
    assert_eq!(sent["lieuNaissance"]["departementNaissance"], "044");
    // M050 sent one payment request inside the window; M070 searched by id then by number.
    let m050 = &steps[2]["exchanges"][0];
    assert!(m050["url"].as_str().unwrap().ends_with("/demandePaiement"));
    assert!(m050["answer_body"]
        .as_str()
        .unwrap()
        .contains("idDemandePaiement"));
    let m070: Vec<Value> = steps[3]["exchanges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| serde_json::from_str(x["request_body"].as_str().unwrap()).unwrap())
        .collect();
    assert!(m070[0]["idDemandePaiements"].is_array(), "{m070:?}");
    assert!(m070[1]["numFactureTiers"].is_array(), "{m070:?}");
    let md = out.read("report.md");
    assert_eq!(md.matches("| passed |").count(), 4, "{md}");
    assert!(md.contains("fictitious test identity"));
    let html = out.read("report.html");
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("@media print"));
    assert!(!html.contains("<script") && !html.contains("<link"));
    assert_no_secret(&out, TENANT_A.client_secret);

    // The variants: born abroad, several lines, the one-cent case.
    let out = Out::new();
    let args = [
        "campaign",
        "--tenant",
        "alpha",
        "--out",
        out.path(),
        "--born-abroad",
        "--multi-line",
        "--one-cent",
    ];
    let (code, stdout, _) = run(&args, &env).await;
    assert_eq!(code, 0, "{stdout}");
    let report = out.json();
    assert_eq!(verdicts(&report), expect(&["passed"; 4]));
    let steps = report["steps"].as_array().unwrap();
    let registration: Value =
        serde_json::from_str(steps[0]["exchanges"][0]["request_body"].as_str().unwrap()).unwrap();
    assert_eq!(
        registration["lieuNaissance"],
        serde_json::json!({"codePaysNaissance": "99134"})
    );
    let submitted: Value =
        serde_json::from_str(steps[2]["exchanges"][0]["request_body"].as_str().unwrap()).unwrap();
    let lines = submitted[0]["inputPrestations"].as_array().unwrap();
    assert_eq!(lines.len(), 3);
    assert_eq!(submitted[0]["mntFactureTTC"], 100.0);
    assert_eq!(lines[0]["mntPrestationTTC"], 33.34);
    assert!(steps[2]["notes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n.as_str().unwrap().contains("from 33.33 to 33.34")));
    assert_no_secret(&out, TENANT_A.client_secret);
}

#[tokio::test]
async fn dry_run_prints_the_plan_and_sends_nothing() {
    let app = TestApp::builder().no_gateway().start().await;
    let env = binary_env(&app, &[]);
    let args = ["campaign", "--tenant", "alpha", "--dry-run", "--one-cent"];
    let (code, stdout, stderr) = run(&args, &env).await;
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("dry run: nothing was sent."), "{stdout}");
    for step in ["M010", "M020", "M050", "M070"] {
        assert!(stdout.contains(step), "{stdout}");
    }
    assert!(stdout.contains("adjusts /invoices/0/lines/0/unit_price from 33.33 to 33.34"));
    assert_eq!(app.sim().token_requests(), 0);
    assert_eq!(app.sim().registrations(), 0);

    let (code, _, stderr) = run(&["campaign", "--tenant", "alpha"], &env).await;
    assert_eq!(code, 2);
    assert!(stderr.contains("--out DIR is required"), "{stderr}");
    let bad = std::env::temp_dir().join(format!("identity-{}.json", uuid::Uuid::new_v4().simple()));
    std::fs::write(&bad, r#"{"title": "mr"}"#).unwrap();
    let args = [
        "campaign",
        "--tenant",
        "alpha",
        "--dry-run",
        "--identity",
        bad.to_str().unwrap(),
    ];
    let (code, _, stderr) = run(&args, &env).await;
    let _ = std::fs::remove_file(&bad);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("not the body of POST /v1/clients"),
        "{stderr}"
    );
}

/// The campaign submits through the same use case as `POST /v1/payment-requests`, so the
/// payment request it created is in the tenant's watch list in Redis, where a running
/// gateway's events poller follows it to payment.
#[tokio::test]
async fn the_payment_request_a_campaign_submits_is_watched() {
    let app = TestApp::builder()
        .redis()
        .setting("GATEWAY__EVENTS__ENABLED", "true")
        .no_gateway()
        .start()
        .await;
    let env = binary_env(&app, &[]);
    let (out, code, stdout, stderr) = campaign_for_alpha(&env).await;
    assert_eq!(code, 0, "{stdout}{stderr}");
    let report = out.json();
    let answer: Value = serde_json::from_str(
        report["steps"][2]["exchanges"][0]["answer_body"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let id = answer[0]["idDemandePaiement"].as_str().unwrap();

    let watch_key = app.redis_key("alpha", "events:watch:payment_requests");
    let mut redis = crate::test_redis::redis_connection().await;
    let watched: Option<String> = redis::cmd("HGET")
        .arg(&watch_key)
        .arg(id)
        .query_async(&mut redis)
        .await
        .unwrap();
    assert!(watched.is_some(), "{id} not in {watch_key}");
}
