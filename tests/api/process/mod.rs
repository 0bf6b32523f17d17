//! The real binary: the embedded default, configuration errors, logs without personal data,
//! and a graceful stop on SIGTERM (with the test builder's settings).

mod drain;
mod first_hour;
mod ids;
mod logs;
mod tenant_files;

use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::helpers::{get_json, read, text, TestApp, TENANT_A};

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_urssaf-gateway");

pub(crate) struct Running {
    child: Child,
    pub(crate) port: u16,
    simulator_port: Option<u16>,
    demo_key: Option<String>,
    pub(crate) stdout: Arc<Mutex<Vec<String>>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the binary with only the given environment and waits for its "listening" line.
/// Starts `urssaf-gateway simulator --port 0` with `args`; returns it and its base URL, read
/// from the banner it writes on stderr.
pub(crate) fn standalone_simulator(args: &[&str]) -> (Child, String) {
    let mut child = Command::new(BIN)
        .args(["simulator", "--port", "0"])
        .args(args)
        .env_clear()
        .env("GATEWAY__SERVER__HOST", "127.0.0.1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let banner = lines.next().unwrap().unwrap();
    let url = banner
        .strip_prefix("urssaf simulator on ")
        .and_then(|r| r.split(' ').next())
        .unwrap_or_else(|| panic!("{banner}"))
        .to_string();
    (child, url)
}

pub(crate) fn start<K: AsRef<OsStr>, V: AsRef<OsStr>>(env: &[(K, V)]) -> Running {
    let mut cmd = Command::new(BIN);
    cmd.arg("serve")
        .arg("--port")
        .arg("0")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    cmd.env("GATEWAY__SERVER__HOST", "127.0.0.1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = Arc::new(Mutex::new(Vec::new()));
    let (tx, rx) = std::sync::mpsc::channel::<serde_json::Value>();
    let out = child.stdout.take().unwrap();
    let lines = stdout.clone();
    let (ktx, krx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            match serde_json::from_str::<serde_json::Value>(&line) {
                Ok(v) if v["message"] == "listening" => {
                    let _ = tx.send(v);
                }
                Ok(_) => {}
                // The embedded default's banner: kept apart from the log lines.
                Err(_) => {
                    if let Some(k) = line
                        .strip_prefix("export KEY=")
                        .and_then(|r| r.split(' ').next())
                    {
                        let _ = ktx.send(k.to_string());
                    }
                    continue;
                }
            }
            lines.lock().unwrap().push(line);
        }
    });
    let err = child.stderr.take().unwrap();
    std::thread::spawn(move || for _ in BufReader::new(err).lines().map_while(Result::ok) {});
    let listening = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("the gateway says it listens");
    let demo_key = krx.recv_timeout(Duration::from_millis(500)).ok();
    Running {
        child,
        port: listening["port"].as_u64().unwrap() as u16,
        simulator_port: listening["simulator_port"].as_u64().map(|p| p as u16),
        demo_key,
        stdout,
    }
}

fn run_to_end(env: &[(&str, &str)]) -> (i32, String) {
    let out = Command::new(BIN)
        .arg("serve")
        .env_clear()
        .envs(env.iter().copied())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn configuration_errors_are_one_clear_line_each() {
    let (code, err) = run_to_end(&[("GATEWAY__UPSTREAM__ENVIRONMENT", "production")]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(
            "error: tenants: none configured; upstream.environment = production needs at least one"
        ),
        "{err}"
    );

    let (code, err) = run_to_end(&[
        ("GATEWAY__UPSTREAM__ENVIRONMENT", "sandbox"),
        ("GATEWAY__TENANTS__ACME__CLIENT_ID", "id"),
        ("GATEWAY__TENANTS__ACME__API_KEY_HASHES", "abc"),
        ("GATEWAY__TENANTS__ACME__WORKER_ID", "123"),
    ]);
    assert_eq!(code, 2);
    let lines: Vec<&str> = err.lines().collect();
    assert!(
        lines.contains(
            &"error: tenants.acme.client_secret: missing (set it, or client_secret_file)"
        ),
        "{err}"
    );
    assert!(lines.contains(&"error: tenants.acme.api_key_hashes: entry 1: not a SHA-256 hex digest (64 hex characters; `urssaf-gateway hash-key` makes one)"), "{err}");
    assert!(
        lines.contains(&"error: tenants.acme.worker_id: must be SAP + 9 digits or SIR + 14 digits"),
        "{err}"
    );

    let (code, err) = run_to_end(&[("GATEWAY__LOG__FORMAT", "xml")]);
    assert_eq!(code, 2);
    assert!(
        err.starts_with("error: log.format:") && err.contains("xml"),
        "{err}"
    );

    let (code, err) = run_to_end(&[("GATEWAY_CONFIG", "/nonexistent/gateway.toml")]);
    assert_eq!(code, 2);
    assert_eq!(
        err.trim(),
        "error: configuration file /nonexistent/gateway.toml: not found"
    );
}

#[tokio::test]
async fn the_simulator_runs_standalone_with_its_knobs() {
    let (code, err) = {
        let out = Command::new(BIN)
            .args([
                "simulator",
                "--port",
                "0",
                "--client-id",
                "a",
                "--client-secret",
                "b",
            ])
            .args(["--faults", r#"{"error_500_rate": 2}"#])
            .env_clear()
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    assert_eq!(code, Some(2), "{err}");
    assert!(err.starts_with("error: --faults:"), "{err}");

    let (mut child, url) = standalone_simulator(&[
        "--client-id",
        "vendor",
        "--client-secret",
        "s3cret",
        "--token-lifetime",
        "120",
        "--faults",
        r#"{"capital_errors": true}"#,
    ]);
    let http = reqwest::Client::new();
    let grant = [
        ("grant_type", "client_credentials"),
        ("scope", "homeplus.tiersprestations"),
    ];
    let token = http
        .post(format!("{url}/api/oauth/v1/token"))
        .basic_auth("vendor", Some("s3cret"))
        .form(&grant);
    let (_, _, token) = read(token.send().await.unwrap()).await;
    assert_eq!(token["expires_in"], 120);
    let faults = get_json(&http, &format!("{url}/__admin/faults")).await;
    assert_eq!(faults["capital_errors"], true);
    let _ = child.kill();
    let _ = child.wait();
}
