//! A failure at each step of the campaign, said where and why.

use super::*;

#[tokio::test]
async fn a_wrong_secret_fails_m010_on_the_token() {
    let app = TestApp::builder().no_gateway().start().await;
    let env = binary_env(
        &app,
        &[("GATEWAY__TENANTS__ALPHA__CLIENT_SECRET", "wrong-secret-123")],
    );
    let (out, code, stdout, _) = campaign_for_alpha(&env).await;
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
    let (out, code, stdout, _) = campaign_for_alpha(&env).await;
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
    let (out, code, stdout, _) = campaign_for_alpha(&env).await;
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
