//! The embedded default as a newcomer meets it, in one terminal (stdout and stderr together):
//! a quiet start, one whole banner whose lines work when pasted, Ctrl-C at once, a clear
//! message when the port is taken, and the demo tenant's webhook from two settings.

use super::*;
use crate::webhooks::{verifies, Receiver, Reply, SECRET};

/// The binary on the embedded default, nothing set but loopback and a free port; what it
/// writes on stdout and stderr, as one terminal shows it.
struct Terminal {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
    started: Instant,
}

impl Drop for Terminal {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the banner says, read from its lines.
struct Banner {
    /// Index of its first line in the terminal.
    first: usize,
    lines: Vec<String>,
    export: String,
    try_line: String,
    api: String,
    took: Duration,
}

fn terminal(env: &[(&str, &str)], args: &[&str]) -> Terminal {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg("exec \"$0\" \"$@\" 2>&1")
        .arg(BIN)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("GATEWAY__SERVER__HOST", "127.0.0.1")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let started = Instant::now();
    let mut child = cmd.spawn().unwrap();
    let out = child.stdout.take().unwrap();
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            sink.lock().unwrap().push(line);
        }
    });
    Terminal {
        child,
        lines,
        started,
    }
}

fn embedded(env: &[(&str, &str)]) -> Terminal {
    terminal(env, &["serve", "--port", "0"])
}

impl Terminal {
    fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    /// Waits (up to 30 s) for the banner's last line.
    async fn banner(&self) -> Banner {
        loop {
            let lines = self.lines();
            if let Some(last) = lines.iter().position(|l| l.starts_with("curl ")) {
                let took = self.started.elapsed();
                let first = lines
                    .iter()
                    .position(|l| l.starts_with("urssaf-gateway is ready"))
                    .expect("the banner's first line");
                let block: Vec<String> = lines[first..=last].to_vec();
                let find = |prefix: &str| {
                    block
                        .iter()
                        .find(|l| l.starts_with(prefix))
                        .unwrap_or_else(|| panic!("no {prefix:?} line in {block:#?}"))
                        .clone()
                };
                let api = find("  API:")
                    .split_whitespace()
                    .nth(1)
                    .unwrap()
                    .to_string();
                return Banner {
                    first,
                    export: find("export KEY="),
                    try_line: block.last().unwrap().clone(),
                    lines: block,
                    api: api.trim_end_matches("/v1").to_string(),
                    took,
                };
            }
            assert!(
                self.started.elapsed() < Duration::from_secs(30),
                "no banner: {lines:#?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn sigint(&self) {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success());
    }

    /// Waits up to `limit` for the process to end; its exit status and how long it took.
    fn exit_within(&mut self, limit: Duration) -> (std::process::ExitStatus, Duration) {
        let asked = Instant::now();
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                return (s, asked.elapsed());
            }
            assert!(asked.elapsed() < limit, "still running after {limit:?}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// Runs `script` in `sh`, as a person pasting it would; its stdout.
fn paste(script: &str) -> String {
    let out = Command::new("sh").arg("-c").arg(script).output().unwrap();
    assert!(out.status.success(), "{script}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// The variables the banner's `export` line sets.
fn exported(banner: &Banner) -> (String, String) {
    let got = paste(&format!("{}\necho \"$KEY $SIM\"", banner.export));
    let (key, sim) = got.trim().split_once(' ').expect("KEY and SIM set");
    (key.to_string(), sim.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_starts_quiet_with_one_whole_banner_that_works_when_pasted() {
    let mut took = Vec::new();
    for _ in 0..3 {
        let term = embedded(&[]);
        let banner = term.banner().await;
        took.push(banner.took);
        // Longer than one poll cycle (2 s): start-up is over, nothing follows the banner.
        tokio::time::sleep(Duration::from_millis(2500)).await;
        let lines = term.lines();
        let before = &lines[..banner.first];
        assert!(before.len() >= 3, "{lines:#?}");
        for l in before.iter().filter(|l| !l.is_empty()) {
            let v: serde_json::Value =
                serde_json::from_str(l).unwrap_or_else(|_| panic!("inside no banner: {l}"));
            assert_eq!(v["level"], "INFO", "start-up is quiet: {l}");
            assert!(!l.contains("rejected"), "nothing failed: {l}");
        }
        assert_eq!(
            lines[banner.first - 1..]
                .iter()
                .filter(|l| l.is_empty())
                .count(),
            2,
            "one blank line around the banner and nothing after it: {lines:#?}"
        );
        assert_eq!(banner.lines.len(), 8, "{:#?}", banner.lines);
        assert_eq!(banner.lines[6], "try:");
        assert_eq!(lines.last().map(String::as_str), Some(""), "{lines:#?}");

        let (key, sim) = exported(&banner);
        assert!(key.starts_with("demo-"), "{key}");
        assert!(banner.try_line.contains(&key), "{}", banner.try_line);
        let answer: serde_json::Value =
            serde_json::from_str(&paste(&banner.try_line)).expect("a JSON answer");
        assert_eq!(answer["account"]["state"], "active", "200: {answer}");
        let clock = paste(&format!("curl -s {sim}/__admin/clock"));
        assert!(clock.contains("\"now\""), "SIM is the simulator: {clock}");
        let health = reqwest::get(format!("{}/healthz", banner.api))
            .await
            .unwrap();
        assert_eq!(health.status(), 200);
        // The pages the banner names answer as printed (API and simulator are base addresses).
        let docs = banner
            .lines
            .iter()
            .find(|l| l.starts_with("  docs:"))
            .unwrap();
        let docs = docs.split_whitespace().nth(1).unwrap();
        assert_eq!(reqwest::get(docs).await.unwrap().status(), 200, "{docs}");
        let stats = reqwest::get(format!("{sim}/__admin/stats")).await.unwrap();
        assert_eq!(stats.status(), 200, "the banner's GET /__admin/stats");
    }
    eprintln!("start to banner: {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_ends_the_embedded_default_at_once() {
    let mut term = embedded(&[]);
    let banner = term.banner().await;
    // The README's events loop is waiting on the feed: the stop ends its wait.
    let (key, _) = exported(&banner);
    let poll = reqwest::Client::new()
        .get(format!("{}/v1/events?wait=25", banner.api))
        .bearer_auth(&key)
        .send();
    let poll = tokio::spawn(poll);
    tokio::time::sleep(Duration::from_millis(300)).await;
    term.sigint();
    let (status, took) = term.exit_within(Duration::from_secs(2));
    assert!(status.success(), "{status:?}");
    eprintln!("Ctrl-C to exit: {took:?}");
    let answer = poll.await.unwrap().expect("the long poll is answered");
    assert_eq!(answer.status(), 200);
    let lines = term.lines();
    let after = &lines[banner.first + banner.lines.len()..];
    assert!(
        after
            .iter()
            .all(|l| !l.contains("ERROR") && !l.contains("WARN")),
        "{after:#?}"
    );
}

#[test]
fn a_taken_port_is_named_with_the_way_out() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let mut term = terminal(&[], &["serve", "--port", &port]);
    let (status, took) = term.exit_within(Duration::from_secs(5));
    assert_eq!(status.code(), Some(2));
    let text = term.lines().join("\n");
    assert!(
        text.starts_with(&format!(
            "error: server: cannot listen on 127.0.0.1:{port}: "
        )) && text.contains("--port"),
        "{text}"
    );
    // Bound first: nothing was started, fetched or registered, and actix said nothing.
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(took < Duration::from_secs(2), "{took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_settings_give_the_demo_tenant_a_webhook() {
    let receiver = Receiver::start(|_| Reply::Status(204));
    let term = embedded(&[
        ("GATEWAY__TENANTS__DEMO__WEBHOOK_URL", receiver.url.as_str()),
        ("GATEWAY__TENANTS__DEMO__WEBHOOK_SECRET", SECRET),
    ]);
    let banner = term.banner().await;
    let target = receiver.url.split('?').next().unwrap();
    assert!(
        banner
            .lines
            .iter()
            .any(|l| l.starts_with(&format!("  webhook:   {target} "))),
        "{:#?}",
        banner.lines
    );
    let (key, sim) = exported(&banner);
    let http = reqwest::Client::new();
    let api = &banner.api;
    let (s, _, client) = read(
        http.get(format!("{api}/v1/clients?email=jeanne.durand@example.org"))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200, "the seeded household stays: {client}");
    let client_id = text(&client["client_id"]);
    let backdate = http
        .put(format!("{sim}/__admin/clients/{client_id}/status"))
        .json(&serde_json::json!({"code": "APPAREILLAGE_VALIDE", "activated_at": "2026-10-01T00:00:00Z"}));
    assert!(backdate.send().await.unwrap().status().is_success());
    let invoice = serde_json::json!({"invoices": [{
        "invoice_number": format!("F-HOOK-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]),
        "invoice_date": "2026-11-02", "client_id": client_id, "client_birth_date": "1980-03-29",
        "lines": [{"nature_code": "60", "quantity": "5", "unit": "hour", "unit_price": "30.00",
                   "vat_rate": "10", "service_start": "2026-10-05", "service_end": "2026-10-20"}]}]});
    let (s, _, sent) = read(
        http.post(format!("{api}/v1/payment-requests"))
            .bearer_auth(&key)
            .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
            .json(&invoice)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200, "{sent}");
    let id = text(&sent["results"][0]["payment_request"]["id"]);
    // The status change, made at "Urssaf".
    let changed = Instant::now();
    let validate = http
        .put(format!("{sim}/__admin/payment-requests/{id}/status"))
        .json(&serde_json::json!({"code": "30"}));
    assert!(validate.send().await.unwrap().status().is_success());
    let got = loop {
        if let Some(r) = receiver.got().into_iter().next() {
            break r;
        }
        assert!(
            changed.elapsed() < Duration::from_secs(20),
            "no webhook within 20 s: {:#?}",
            term.lines()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    eprintln!("status change to webhook: {:?}", changed.elapsed());
    assert!(verifies(&got, SECRET), "signed with the demo's secret");
    let event: serde_json::Value = serde_json::from_slice(&got.body).unwrap();
    assert_eq!(event["type"], "payment_request.status_changed", "{event}");
    assert!(event.to_string().contains(&id), "{event}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_logs_carry_the_same_fields_and_no_personal_data() {
    let term = embedded(&[("GATEWAY__LOG__FORMAT", "text")]);
    let banner = term.banner().await;
    let (key, _) = exported(&banner);
    let answer = paste(&banner.try_line);
    assert!(answer.contains("Durand"), "{answer}");
    let missing = reqwest::Client::new()
        .get(format!(
            "{}/v1/clients?email=nobody@example.org",
            banner.api
        ))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let lines = term.lines();
    let logs: Vec<&String> = lines[..banner.first]
        .iter()
        .chain(&lines[banner.first + banner.lines.len()..])
        .filter(|l| !l.is_empty())
        .collect();
    let requests: Vec<&&String> = logs.iter().filter(|l| l.contains(" request ")).collect();
    assert_eq!(requests.len(), 2, "{logs:#?}");
    for l in &requests {
        for field in [
            "request_id=",
            "route=/v1/clients",
            "status=",
            "latency_ms=",
            "tenant=demo",
        ] {
            assert!(l.contains(field), "{field} in {l}");
        }
    }
    for l in &logs {
        assert!(serde_json::from_str::<serde_json::Value>(l).is_err(), "{l}");
        for p in [
            "Durand",
            "jeanne",
            "nobody@example.org",
            key.as_str(),
            "Bearer",
        ] {
            assert!(!l.contains(p), "{p:?} in a log line: {l}");
        }
    }
}
