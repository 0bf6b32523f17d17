//! Spawning real servers on ports chosen by the OS: the simulator, gateways, a TCP proxy
//! in front of Redis that can be cut.

use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use tokio::sync::watch;
use urssaf_gateway::config::Settings;
use urssaf_gateway::simulator::{Simulator, SimulatorSettings};
use urssaf_gateway::startup::Application;
use urssaf_gateway::tenant::hash_key;

/// Redis used by tests; the test command guarantees one answers there.
pub fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

pub fn init_logs() {
    if std::env::var("TEST_LOG").is_ok() {
        urssaf_gateway::telemetry::init(&urssaf_gateway::config::LogSettings {
            format: urssaf_gateway::config::LogFormat::Pretty,
            level: "info".into(),
        });
    }
}

pub struct TestSim {
    pub sim: Simulator,
    pub url: String,
}

/// A simulator knowing the given (client id, secret) pairs.
pub fn spawn_simulator(
    creds: &[(&str, &str)],
    tweak: impl FnOnce(&mut SimulatorSettings),
) -> TestSim {
    init_logs();
    let mut settings = SimulatorSettings {
        credentials: creds
            .iter()
            .map(|(i, s)| (i.to_string(), SecretString::from(s.to_string())))
            .collect(),
        admin_enabled: true,
        ..SimulatorSettings::default()
    };
    tweak(&mut settings);
    let sim = Simulator::new(settings);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(sim.serve(listener).unwrap());
    TestSim { sim, url }
}

pub struct TenantSpec {
    pub id: &'static str,
    pub client_id: &'static str,
    pub client_secret: &'static str,
}

pub const TENANT_A: TenantSpec = TenantSpec {
    id: "alpha",
    client_id: "alpha-client",
    client_secret: "alpha-secret",
};
pub const TENANT_B: TenantSpec = TenantSpec {
    id: "beta",
    client_id: "beta-client",
    client_secret: "beta-secret",
};

pub struct TestGateway {
    pub url: String,
    pub keys: HashMap<&'static str, String>,
    pub http: reqwest::Client,
    pub metrics: urssaf_gateway::metrics::Metrics,
}

impl TestGateway {
    pub fn key(&self, tenant: &str) -> &str {
        &self.keys[tenant]
    }

    pub fn get(&self, tenant: &str, path: &str) -> reqwest::RequestBuilder {
        self.http
            .get(format!("{}{path}", self.url))
            .bearer_auth(self.key(tenant))
    }

    pub fn post(&self, tenant: &str, path: &str) -> reqwest::RequestBuilder {
        self.http
            .post(format!("{}{path}", self.url))
            .bearer_auth(self.key(tenant))
    }
}

/// Settings for a gateway in front of `upstream`, as environment variables would give them.
pub fn gateway_vars(
    upstream: &str,
    tenants: &[&TenantSpec],
    redis: Option<&str>,
) -> (Vec<(String, String)>, HashMap<&'static str, String>) {
    let mut vars = vec![
        ("GATEWAY__SERVER__HOST".to_string(), "127.0.0.1".to_string()),
        ("GATEWAY__SERVER__PORT".into(), "0".into()),
        ("GATEWAY__SERVER__WORKERS".into(), "2".into()),
        ("GATEWAY__UPSTREAM__ENVIRONMENT".into(), "embedded".into()),
        ("GATEWAY__UPSTREAM__BASE_URL".into(), upstream.into()),
        ("GATEWAY__UPSTREAM__RETRY_BASE_MS".into(), "10".into()),
        ("GATEWAY__UPSTREAM__RETRY_MAX_MS".into(), "50".into()),
        // Tests count Urssaf calls: the periodic tenant check is on only where a test wants it.
        ("GATEWAY__CHECK__INTERVAL_SECONDS".into(), "0".into()),
        // Tests sharing one Redis must not share keys.
        (
            "GATEWAY__REDIS__KEY_PREFIX".into(),
            format!("test-{}", uuid::Uuid::new_v4().simple()),
        ),
    ];
    if let Some(r) = redis {
        vars.push(("GATEWAY__REDIS__URL".into(), r.into()));
    }
    let mut keys = HashMap::new();
    for t in tenants {
        let key = format!("key-{}-{}", t.id, uuid::Uuid::new_v4().simple());
        let up = t.id.to_uppercase();
        vars.push((
            format!("GATEWAY__TENANTS__{up}__CLIENT_ID"),
            t.client_id.into(),
        ));
        vars.push((
            format!("GATEWAY__TENANTS__{up}__CLIENT_SECRET"),
            t.client_secret.into(),
        ));
        vars.push((
            format!("GATEWAY__TENANTS__{up}__API_KEY_HASHES"),
            hash_key(&key),
        ));
        vars.push((
            format!("GATEWAY__TENANTS__{up}__WORKER_ID"),
            "SAP123456789".into(),
        ));
        keys.insert(t.id, key);
    }
    (vars, keys)
}

pub async fn spawn_gateway_with(
    vars: Vec<(String, String)>,
    keys: HashMap<&'static str, String>,
) -> TestGateway {
    init_logs();
    let settings = Settings::load_from(None, vars).expect("test settings load");
    let app = Application::build(settings).await.expect("gateway builds");
    let url = format!("http://127.0.0.1:{}", app.port());
    let metrics = app.metrics.clone();
    tokio::spawn(app.run_until_stopped());
    TestGateway {
        url,
        keys,
        http: reqwest::Client::new(),
        metrics,
    }
}

pub async fn spawn_gateway(
    upstream: &str,
    tenants: &[&TenantSpec],
    redis: Option<&str>,
) -> TestGateway {
    let (vars, keys) = gateway_vars(upstream, tenants, redis);
    spawn_gateway_with(vars, keys).await
}

/// Adds or replaces one setting.
pub fn set(vars: &mut Vec<(String, String)>, key: &str, value: &str) {
    vars.retain(|(k, _)| k != key);
    vars.push((key.to_string(), value.to_string()));
}

/// A TCP proxy that can be cut (listener closed, live connections dropped) and restored on
/// the same port: "Redis went away" without touching the shared Redis.
pub struct ChaosProxy {
    pub addr: SocketAddr,
    target: SocketAddr,
    up: Arc<AtomicBool>,
    cut: watch::Sender<u64>,
}

impl ChaosProxy {
    pub async fn start(target: SocketAddr) -> ChaosProxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (cut, _) = watch::channel(0);
        let proxy = ChaosProxy {
            addr,
            target,
            up: Arc::new(AtomicBool::new(true)),
            cut,
        };
        proxy.serve(listener);
        proxy
    }

    fn serve(&self, listener: tokio::net::TcpListener) {
        let target = self.target;
        let mut cut_rx = self.cut.subscribe();
        let generation = *cut_rx.borrow();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = cut_rx.changed() => return, // drops the listener: port closed
                    accepted = listener.accept() => {
                        let Ok((mut inbound, _)) = accepted else { continue };
                        let mut conn_cut = cut_rx.clone();
                        tokio::spawn(async move {
                            let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await else { return };
                            tokio::select! {
                                _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                                _ = async { while *conn_cut.borrow_and_update() == generation { if conn_cut.changed().await.is_err() { break; } } } => {}
                            }
                        });
                    }
                }
            }
        });
    }

    /// Closes the port and every live connection.
    pub fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.cut.send_modify(|g| *g += 1);
    }

    /// Listens again on the same port.
    pub async fn restore(&self) {
        let mut tries = 0;
        let listener = loop {
            match tokio::net::TcpListener::bind(self.addr).await {
                Ok(l) => break l,
                Err(e) if tries < 50 => {
                    tries += 1;
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(e) => panic!("cannot rebind {}: {e}", self.addr),
            }
        };
        self.up.store(true, Ordering::SeqCst);
        self.serve(listener);
    }
}

/// The address of the test Redis, for the proxy.
pub fn redis_addr() -> SocketAddr {
    let url = redis_url();
    let hostport = url
        .trim_start_matches("redis://")
        .split('/')
        .next()
        .unwrap_or("127.0.0.1:6379")
        .to_string();
    let hostport = hostport.rsplit('@').next().unwrap_or(&hostport).to_string();
    use std::net::ToSocketAddrs;
    hostport.to_socket_addrs().unwrap().next().unwrap()
}

/// Checks the test Redis answers; tests that need it fail loudly rather than skip.
pub async fn require_redis() {
    let client = redis::Client::open(redis_url()).unwrap();
    let mut conn = tokio::time::timeout(
        Duration::from_secs(2),
        client.get_multiplexed_async_connection(),
    )
    .await
    .expect("redis answers in time (run the tests with scripts/test, which starts one)")
    .expect("redis connection (run the tests with scripts/test, which starts one)");
    let pong: String = redis::cmd("PING").query_async(&mut conn).await.unwrap();
    assert_eq!(pong, "PONG");
}
