//! The real binary: the embedded default, configuration errors, logs without personal data,
//! and a graceful stop on SIGTERM (with the test builder's settings).

use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::helpers::{get_json, read, text, TestApp, TENANT_A};

const BIN: &str = env!("CARGO_BIN_EXE_urssaf-gateway");

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
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) {
                if v["message"] == "listening" {
                    let _ = tx.send(v);
                }
            }
            lines.lock().unwrap().push(line);
        }
    });
    let err = child.stderr.take().unwrap();
    let (ktx, krx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            if let Some(k) = line.trim().strip_prefix("demo key:") {
                let _ = ktx.send(k.trim().to_string());
            }
        }
    });
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
    assert!(lines.contains(&"error: tenants.acme.api_key_hashes: \"abc\" is not a SHA-256 hex digest (64 hex characters)"), "{err}");
    assert!(
        lines.contains(
            &"error: tenants.acme.worker_id: \"123\" must be SAP + 9 digits or SIR + 14 digits"
        ),
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
async fn sigterm_drains_then_stops_without_dropping_a_call() {
    // The binary serves tenant A in front of the test's simulator.
    let app = TestApp::builder()
        .tenants(&[&TENANT_A])
        .setting("GATEWAY__SERVER__DRAIN_SECONDS", "1")
        .setting("GATEWAY__SERVER__SHUTDOWN_TIMEOUT_SECONDS", "10")
        .no_gateway()
        .start()
        .await;
    let gw = start(app.gateway_env());
    let key = app.key(TENANT_A.id).to_string();
    let http = &app.http;
    // Make every Urssaf call slow so calls are in flight when the signal arrives.
    app.faults(serde_json::json!({"latency_ms": 1500})).await;
    let base = format!("http://127.0.0.1:{}", gw.port);
    let calls: Vec<_> = (0..20)
        .map(|_| {
            let req = http
                .get(format!("{base}/v1/clients?email=nobody@example.org"))
                .bearer_auth(&key);
            tokio::spawn(async move { req.send().await.map(|r| r.status().as_u16()) })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    let pid = gw.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let ready = http.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503, "not ready while draining");
    for c in calls {
        let status = c
            .await
            .unwrap()
            .expect("in-flight call completed, not dropped");
        assert_eq!(status, 404, "Urssaf's answer (no such client) came through");
    }
    let mut gw = gw;
    let exit = loop {
        if let Some(s) = gw.child.try_wait().unwrap() {
            break s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(12),
            "exited within drain + shutdown timeout"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "{exit:?}");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited for the drain period"
    );
}

/// One request written on `stream` (kept alive); its status line and lower-cased headers.
fn exchange(stream: &mut std::net::TcpStream, path: &str) -> (String, Vec<String>) {
    use std::io::{Read, Write};
    write!(stream, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        assert_eq!(stream.read(&mut byte).unwrap(), 1, "answered");
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap().to_ascii_lowercase();
    let mut lines = head.lines().map(String::from);
    let status = lines.next().unwrap();
    let headers: Vec<String> = lines.filter(|l| !l.is_empty()).collect();
    let length: usize = headers
        .iter()
        .find_map(|h| h.strip_prefix("content-length:"))
        .map(|v| v.trim().parse().unwrap())
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).unwrap();
    (status, headers)
}

#[tokio::test]
async fn while_draining_answers_close_their_kept_alive_connection() {
    let gw = start(&[
        ("GATEWAY__SERVER__DRAIN_SECONDS", "3"),
        ("GATEWAY__SERVER__SHUTDOWN_TIMEOUT_SECONDS", "5"),
    ]);
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", gw.port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let (status, headers) = exchange(&mut stream, "/healthz");
    assert!(status.starts_with("http/1.1 200"), "{status}");
    assert!(!headers.contains(&"connection: close".to_string()));
    let pid = gw.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    // Wait until the gateway says it is draining (on another connection).
    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{}", gw.port);
    let started = Instant::now();
    while http
        .get(format!("{base}/readyz"))
        .send()
        .await
        .unwrap()
        .status()
        == 200
    {
        assert!(started.elapsed() < Duration::from_secs(2), "not ready soon");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // A request written on the connection kept alive from before the signal is answered, and
    // that answer closes the connection.
    let (status, headers) = exchange(&mut stream, "/healthz");
    assert!(status.starts_with("http/1.1 200"), "{status}");
    assert!(
        headers.contains(&"connection: close".to_string()),
        "{headers:?}"
    );
    let mut rest = Vec::new();
    assert_eq!(
        std::io::Read::read_to_end(&mut stream, &mut rest).unwrap(),
        0,
        "closed after it"
    );
}

#[test]
fn malformed_http_is_a_warning_not_an_error() {
    use std::io::{Read, Write};
    let gw = start::<&str, &str>(&[]);
    for garbage in [
        &b"GARBAGE\r\n\r\n"[..],
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",
    ] {
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", gw.port)).unwrap();
        stream.write_all(garbage).unwrap();
        let mut answer = Vec::new();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let _ = stream.read_to_end(&mut answer);
        assert!(answer.starts_with(b"HTTP/1.1 400"));
    }
    let started = Instant::now();
    let warnings = loop {
        let lines = gw.stdout.lock().unwrap().clone();
        let warnings: Vec<serde_json::Value> = lines
            .iter()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|v| v["message"] == "malformed or broken HTTP from a client")
            .collect();
        if warnings.len() == 3 || started.elapsed() > Duration::from_secs(5) {
            let errors: Vec<&String> = lines.iter().filter(|l| l.contains("\"ERROR\"")).collect();
            assert!(errors.is_empty(), "{errors:?}");
            break warnings;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(warnings.len(), 3);
    assert!(
        warnings.iter().all(|w| w["level"] == "WARN"),
        "{warnings:?}"
    );
    assert!(
        warnings[0]["detail"]
            .as_str()
            .unwrap()
            .contains("request parse error"),
        "{warnings:?}"
    );
}

/// Personal data that goes through the gateway in this test; none of it may reach a log line.
const PERSONAL: &[&str] = &[
    "Zoulikha",
    "Bercovici",
    "zoulikha.bercovici@example.org",
    "0611223344",
    "+33611223344",
    "FR7630004000031234567890143",
    "FR76",
    "BNPAFRPP",
    "1977-06-15",
    "Paix",
];

#[tokio::test]
async fn logs_are_json_lines_without_personal_data_or_secrets() {
    let gw = start::<&str, &str>(&[]);
    let key = gw.demo_key.clone().expect("demo key printed");
    assert!(gw.simulator_port.is_some(), "embedded simulator");
    let base = format!("http://127.0.0.1:{}", gw.port);
    let http = reqwest::Client::new();
    let registration = serde_json::json!({
        "title": "mrs", "birth_name": "Bercovici", "first_names": "Zoulikha", "birth_date": "1977-06-15",
        "birth_place": {"commune_code": "44109", "commune_name": "Nantes"},
        "mobile_phone": "+33 6 11 22 33 44", "email": "zoulikha.bercovici@example.org",
        "address": {"street_number": "3", "street_type": "R", "street_name": "de la Paix",
                    "commune_code": "44109", "commune_name": "Nantes", "postal_code": "44000"},
        "bank_account": {"iban": "FR76 3000 4000 0312 3456 7890 143", "bic": "BNPAFRPP", "holder": "Mme Zoulikha Bercovici"}
    });
    let call = |req: reqwest::RequestBuilder| {
        let req = req.bearer_auth(&key);
        async move { read(req.send().await.expect("the binary answers")).await }
    };
    let register = |body| call(http.post(format!("{base}/v1/clients")).json(body));
    let (s, _, body) = register(&registration).await;
    assert_eq!(s, 201, "{body}");
    let client_id = text(&body["client_id"]);
    let (s, _, body) = call(http.get(format!("{base}/v1/clients/{client_id}"))).await;
    assert_eq!(s, 200, "{body}");
    // A rejected registration too: its Urssaf error must not drag data into the logs.
    let mut bad = registration.clone();
    bad["bank_account"]["iban"] = serde_json::json!("FR7630004000031234567890144");
    let (s, _, body) = register(&bad).await;
    assert_eq!(s, 422, "{body}");
    tokio::time::sleep(Duration::from_millis(200)).await;

    let lines = gw.stdout.lock().unwrap().clone();
    assert!(lines.len() >= 4, "{lines:?}");
    let mut request_lines = 0;
    for line in &lines {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|_| panic!("not a JSON line: {line}"));
        for p in PERSONAL {
            assert!(
                !line.contains(p),
                "personal data {p:?} in a log line: {line}"
            );
        }
        assert!(!line.contains(&key), "API key in a log line: {line}");
        assert!(
            !line.to_lowercase().contains("bearer"),
            "credentials in a log line: {line}"
        );
        if v["message"] == "request" {
            request_lines += 1;
            assert!(v["request_id"].is_string(), "{line}");
            assert!(
                v["route"].as_str().is_some_and(|r| !r.contains(&client_id)),
                "route template, not the URL: {line}"
            );
            assert!(
                v["status"].is_number() && v["latency_ms"].is_number(),
                "{line}"
            );
            assert_eq!(v["tenant"], "demo", "{line}");
        }
    }
    assert_eq!(request_lines, 3, "one line per request");
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

    let mut child = Command::new(BIN)
        .args([
            "simulator",
            "--port",
            "0",
            "--client-id",
            "vendor",
            "--client-secret",
            "s3cret",
        ])
        .args([
            "--token-lifetime",
            "120",
            "--faults",
            r#"{"capital_errors": true}"#,
        ])
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
