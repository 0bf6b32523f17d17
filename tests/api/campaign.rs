//! The real `campaign` command against the simulator over HTTP: the four scenarios passed with
//! no secret or token in the report, and a failure at each step said where and why.

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

    let out = Out::new();
    let (code, stdout, stderr) = run(
        &["campaign", "--tenant", "alpha", "--out", out.path()],
        &env,
    )
    .await;
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
async fn a_wrong_secret_fails_m010_on_the_token() {
    let app = TestApp::builder().no_gateway().start().await;
    let env = binary_env(
        &app,
        &[("GATEWAY__TENANTS__ALPHA__CLIENT_SECRET", "wrong-secret-123")],
    );
    let out = Out::new();
    let (code, stdout, _) = run(
        &["campaign", "--tenant", "alpha", "--out", out.path()],
        &env,
    )
    .await;
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("FAILED at M010"), "{stdout}");
    let report = out.json();
    assert_eq!(
        verdicts(&report),
        expect(&["failed", "not_run", "not_run", "not_run"])
    );
    let failure = &report["steps"][0]["failure"];
    assert!(
        failure["problem"]
            .as_str()
            .unwrap()
            .contains("the token endpoint refused the credentials (HTTP 401)"),
        "{failure}"
    );
    assert!(failure["hint"]
        .as_str()
        .unwrap()
        .contains("client id and secret"));
    assert_eq!(app.sim().registrations(), 0, "nothing registered");
    assert_no_secret(&out, "wrong-secret-123");
}

#[tokio::test]
async fn a_client_never_activated_fails_m020_after_its_bounded_wait() {
    let app = TestApp::builder()
        .simulator(|s| s.activation_delay = std::time::Duration::from_secs(30 * 24 * 3600))
        .no_gateway()
        .start()
        .await;
    let env = binary_env(&app, &[]);
    let out = Out::new();
    let started = std::time::Instant::now();
    let args = [
        "campaign",
        "--tenant",
        "alpha",
        "--out",
        out.path(),
        "--activation-wait",
        "2",
    ];
    let (code, stdout, _) = run(&args, &env).await;
    let took = started.elapsed();
    assert_eq!(code, 1, "{stdout}");
    assert!(
        took >= std::time::Duration::from_secs(2) && took < std::time::Duration::from_secs(10),
        "{took:?}"
    );
    let report = out.json();
    assert_eq!(
        verdicts(&report),
        expect(&["passed", "failed", "not_run", "not_run"])
    );
    let m020 = &report["steps"][1];
    let failure = &m020["failure"];
    assert_eq!(failure["urssaf_code"], "APPAREILLAGE_EC", "{failure}");
    assert!(failure["problem"]
        .as_str()
        .unwrap()
        .contains("still not active after 2 s"));
    assert!(failure["hint"]
        .as_str()
        .unwrap()
        .contains("--activation-wait"));
    assert!(
        m020["exchanges"].as_array().unwrap().len() >= 2,
        "every read recorded"
    );
    assert_eq!(app.sim().submissions(), 0, "no payment request sent");
    assert!(stdout.contains("Urssaf code: APPAREILLAGE_EC"), "{stdout}");
}

#[tokio::test]
async fn a_rejected_submission_fails_m050_with_urssafs_code_and_the_hint() {
    let app = TestApp::builder().no_gateway().start().await;
    app.sim().set_rules(Rules {
        financial_guarantee_ok: false,
        ..Rules::default()
    });
    let env = binary_env(&app, &[]);
    let out = Out::new();
    let (code, stdout, _) = run(
        &["campaign", "--tenant", "alpha", "--out", out.path()],
        &env,
    )
    .await;
    assert_eq!(code, 1, "{stdout}");
    let report = out.json();
    assert_eq!(
        verdicts(&report),
        expect(&["passed", "passed", "failed", "not_run"])
    );
    let m050 = &report["steps"][2];
    let failure = &m050["failure"];
    assert_eq!(
        failure["urssaf_code"], "ERREUR_GARANTIE_FINANCIERE_NON_CONFORME",
        "{failure}"
    );
    assert!(failure["hint"]
        .as_str()
        .unwrap()
        .contains("financial guarantee"));
    assert!(m050["exchanges"][0]["answer_body"]
        .as_str()
        .unwrap()
        .contains("ERREUR_GARANTIE_FINANCIERE_NON_CONFORME"));
    assert!(stdout.contains("FAILED at M050"), "{stdout}");
    assert!(
        stdout.contains("Urssaf code: ERREUR_GARANTIE_FINANCIERE_NON_CONFORME"),
        "{stdout}"
    );
    let md = out.read("report.md");
    assert!(md.contains("- Urssaf code: `ERREUR_GARANTIE_FINANCIERE_NON_CONFORME`"));
    assert!(md.contains("- gateway hint: Your financial guarantee"));
}

#[tokio::test]
async fn outside_the_simulator_a_client_activated_today_is_not_backdated() {
    // The tenant says "sandbox": the campaign must not touch the simulator's admin API, even
    // though the host happens to be one. A client activated at noon today has no whole day
    // to invoice yet.
    let app = TestApp::builder().no_gateway().start().await;
    let today = chrono::Utc::now().date_naive();
    let noon = reqwest::Client::new()
        .put(format!("{}/__admin/clock", app.sim_url))
        .json(&serde_json::json!({"now": format!("{today}T12:00:00Z")}))
        .send()
        .await
        .unwrap();
    assert!(noon.status().is_success());
    let env = binary_env(&app, &[("GATEWAY__UPSTREAM__ENVIRONMENT", "sandbox")]);
    let out = Out::new();
    let (code, stdout, _) = run(
        &["campaign", "--tenant", "alpha", "--out", out.path()],
        &env,
    )
    .await;
    assert_eq!(code, 1, "{stdout}");
    let report = out.json();
    assert_eq!(report["environment"], "sandbox");
    assert_eq!(
        verdicts(&report),
        expect(&["passed", "passed", "failed", "not_run"])
    );
    let failure = &report["steps"][2]["failure"];
    let tomorrow = today + chrono::Duration::days(1);
    assert!(
        failure["problem"].as_str().unwrap().contains(&format!(
            "the first one Urssaf accepts is {tomorrow}; nothing was sent"
        )),
        "{failure}"
    );
    assert_eq!(app.sim().submissions(), 0);
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
