//! Urssaf tokens: fetched once, shared through Redis, refreshed ahead of expiry, replaced
//! after a 401, and never a failed call because Redis is down.

use std::time::{Duration, Instant};

use futures_util::future::join_all;

use crate::helpers::*;

/// Registers a client directly at the simulator (its own token), so gateways start cold.
pub async fn register_at_simulator(sim_url: &str, client_id: &str, secret: &str) -> String {
    let http = reqwest::Client::new();
    let token: serde_json::Value = http
        .post(format!("{sim_url}/api/oauth/v1/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "homeplus.tiersprestations"),
            ("client_id", client_id),
            ("client_secret", secret),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["access_token"].as_str().unwrap().to_string();
    let body = serde_json::json!({
        "civilite": "2", "nomNaissance": "Durand", "prenoms": "Jeanne",
        "dateNaissance": "1980-03-29T00:00:00Z",
        "lieuNaissance": {"codePaysNaissance": "99100", "departementNaissance": "044",
                          "communeNaissance": {"codeCommune": "109", "libelleCommune": "Nantes"}},
        "numeroTelephonePortable": "0605040302",
        "adresseMail": format!("jeanne.{}@example.org", uuid::Uuid::new_v4().simple()),
        "adressePostale": {"numeroVoie": "1", "codeTypeVoie": "R", "libelleVoie": "de la Paix",
                           "libelleCommune": "Nantes", "codeCommune": "44109", "codePostal": "44000", "codePays": "99100"},
        "coordonneeBancaire": {"bic": "BNPAFRPP", "iban": "FR7630004000031234567890143", "titulaire": "Mme Jeanne Durand"}
    });
    let resp = http
        .post(format!("{sim_url}/atp/v1/tiersPrestations/particulier"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    let out: serde_json::Value = resp.json().await.unwrap();
    out["idClient"].as_str().unwrap().to_string()
}

async fn status_of(gw: &TestGateway, tenant: &str, id: &str) -> u16 {
    gw.get(tenant, &format!("/v1/clients/{id}"))
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cold_gateway_fetches_one_token_for_200_concurrent_calls() {
    require_redis().await;
    let sim = spawn_simulator(&[(TENANT_A.client_id, TENANT_A.client_secret)], |_| {});
    let id = register_at_simulator(&sim.url, TENANT_A.client_id, TENANT_A.client_secret).await;
    let before = sim.sim.token_requests();
    let redis = redis_url();
    let gw = spawn_gateway(&sim.url, &[&TENANT_A], Some(&redis)).await;
    let calls = (0..200).map(|_| status_of(&gw, "alpha", &id));
    let statuses = join_all(calls).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(sim.sim.token_requests() - before, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_replicas_sharing_redis_fetch_one_token() {
    require_redis().await;
    let sim = spawn_simulator(&[(TENANT_A.client_id, TENANT_A.client_secret)], |_| {});
    let id = register_at_simulator(&sim.url, TENANT_A.client_id, TENANT_A.client_secret).await;
    let before = sim.sim.token_requests();
    // Same key prefix for the three: they are replicas of one deployment.
    let (vars, keys) = gateway_vars(&sim.url, &[&TENANT_A], Some(&redis_url()));
    let mut gws = Vec::new();
    for _ in 0..3 {
        gws.push(spawn_gateway_with(vars.clone(), keys.clone()).await);
    }
    let calls = (0..300).map(|i| status_of(&gws[i % 3], "alpha", &id));
    let statuses = join_all(calls).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(sim.sim.token_requests() - before, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn short_lived_tokens_are_refreshed_before_they_expire() {
    require_redis().await;
    let sim = spawn_simulator(&[(TENANT_A.client_id, TENANT_A.client_secret)], |s| {
        s.token_lifetime = Duration::from_secs(3);
    });
    let id = register_at_simulator(&sim.url, TENANT_A.client_id, TENANT_A.client_secret).await;
    let before = sim.sim.token_requests();
    let (vars, keys) = gateway_vars(&sim.url, &[&TENANT_A], Some(&redis_url()));
    let gws = [
        spawn_gateway_with(vars.clone(), keys.clone()).await,
        spawn_gateway_with(vars, keys).await,
    ];
    let started = Instant::now();
    let mut calls = 0;
    while started.elapsed() < Duration::from_secs(8) {
        let round = join_all((0..4).map(|i| status_of(&gws[i % 2], "alpha", &id))).await;
        assert!(round.iter().all(|s| *s == 200), "{round:?}");
        calls += round.len();
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Refreshed ahead of expiry: Urssaf never saw an expired token (no 401 at all).
    for gw in &gws {
        let rejected = gw
            .metrics
            .upstream_requests
            .with_label_values(&["client_status", "rejected"])
            .get();
        assert_eq!(rejected, 0, "a call met an expired token");
    }
    let fetched = sim.sim.token_requests() - before;
    // 8 s of 3 s tokens refreshed at half-life: about 5 fetches shared by both replicas.
    assert!(
        (3..=8).contains(&fetched),
        "{fetched} token requests for {calls} calls"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn calls_keep_working_while_redis_is_away_and_use_it_again_when_back() {
    require_redis().await;
    let proxy = ChaosProxy::start(redis_addr()).await;
    let redis = format!("redis://{}", proxy.addr);
    let sim = spawn_simulator(&[(TENANT_A.client_id, TENANT_A.client_secret)], |_| {});
    let id = register_at_simulator(&sim.url, TENANT_A.client_id, TENANT_A.client_secret).await;
    let (mut vars, keys) = gateway_vars(&sim.url, &[&TENANT_A], Some(&redis));
    set(&mut vars, "GATEWAY__REDIS__RETRY_AFTER_MS", "200");
    let first = spawn_gateway_with(vars.clone(), keys.clone()).await;
    assert_eq!(status_of(&first, "alpha", &id).await, 200);
    let after_first = sim.sim.token_requests();

    proxy.cut();
    // The warm replica serves from memory; a cold one fetches directly. No call fails.
    let cold = spawn_gateway_with(vars.clone(), keys.clone()).await;
    for gw in [&first, &cold] {
        for _ in 0..10 {
            assert_eq!(status_of(gw, "alpha", &id).await, 200);
        }
    }
    assert!(cold.metrics.render().contains("gateway_redis_errors_total"));
    assert_eq!(
        sim.sim.token_requests() - after_first,
        1,
        "the cold replica fetched its own token"
    );

    proxy.restore().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    // A new replica finds the shared token in Redis again: no new token request.
    let later = spawn_gateway_with(vars, keys).await;
    assert_eq!(status_of(&later, "alpha", &id).await, 200);
    assert_eq!(sim.sim.token_requests() - after_first, 1);
    let hits = later
        .metrics
        .token_lookups
        .with_label_values(&["redis", "hit"])
        .get();
    assert_eq!(hits, 1);
}

#[tokio::test]
async fn credentials_can_go_as_http_basic() {
    let sim = spawn_simulator(&[(TENANT_A.client_id, TENANT_A.client_secret)], |_| {});
    let id = register_at_simulator(&sim.url, TENANT_A.client_id, TENANT_A.client_secret).await;
    let (mut vars, keys) = gateway_vars(&sim.url, &[&TENANT_A], None);
    set(&mut vars, "GATEWAY__UPSTREAM__TOKEN_AUTH", "basic");
    let gw = spawn_gateway_with(vars, keys).await;
    assert_eq!(status_of(&gw, "alpha", &id).await, 200);
    let fetched = gw.metrics.token_fetches.with_label_values(&["ok"]).get();
    assert_eq!(fetched, 1);
}

#[tokio::test]
async fn wrong_urssaf_credentials_are_a_502_naming_the_cause() {
    let sim = spawn_simulator(&[(TENANT_A.client_id, "another-secret")], |_| {});
    let gw = spawn_gateway(&sim.url, &[&TENANT_A], None).await;
    let resp = gw.get("alpha", "/v1/clients/abc").send().await.unwrap();
    assert_eq!(resp.status(), 502);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["code"], "upstream_auth_failed");
    assert!(body["hint"]
        .as_str()
        .unwrap()
        .contains("client id and secret"));
    assert_eq!(
        gw.metrics
            .token_fetches
            .with_label_values(&["refused"])
            .get(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_in_redis_can_be_encrypted() {
    require_redis().await;
    let sim = spawn_simulator(&[(TENANT_A.client_id, TENANT_A.client_secret)], |_| {});
    let id = register_at_simulator(&sim.url, TENANT_A.client_id, TENANT_A.client_secret).await;
    let (mut vars, keys) = gateway_vars(&sim.url, &[&TENANT_A], Some(&redis_url()));
    set(
        &mut vars,
        "GATEWAY__TOKEN__ENCRYPTION_KEY",
        &"ab".repeat(32),
    );
    let prefix = vars
        .iter()
        .find(|(k, _)| k == "GATEWAY__REDIS__KEY_PREFIX")
        .unwrap()
        .1
        .clone();
    let before = sim.sim.token_requests();
    let first = spawn_gateway_with(vars.clone(), keys.clone()).await;
    assert_eq!(status_of(&first, "alpha", &id).await, 200);

    let client = redis::Client::open(redis_url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let stored_keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}:token:*"))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(stored_keys.len(), 1);
    let value: String = redis::cmd("GET")
        .arg(&stored_keys[0])
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(
        value.starts_with("v1.") && !value.contains("access_token"),
        "{value}"
    );

    // A replica with the same key reads it; one with another key cannot and fetches its own.
    let same = spawn_gateway_with(vars.clone(), keys.clone()).await;
    assert_eq!(status_of(&same, "alpha", &id).await, 200);
    assert_eq!(sim.sim.token_requests() - before, 1);
    set(
        &mut vars,
        "GATEWAY__TOKEN__ENCRYPTION_KEY",
        &"cd".repeat(32),
    );
    let other = spawn_gateway_with(vars, keys).await;
    assert_eq!(status_of(&other, "alpha", &id).await, 200);
    assert_eq!(sim.sim.token_requests() - before, 2);
}
