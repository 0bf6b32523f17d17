//! [`TestAppBuilder`]: what a test asks for (simulator settings, tenants, Redis, settings,
//! replicas), started by [`TestAppBuilder::start`].

use super::*;

/// What to start; [`TestAppBuilder::start`] starts it.
pub struct TestAppBuilder {
    simulator: Option<SimulatorSettings>,
    upstream: Option<String>,
    tenants: Vec<&'static TenantSpec>,
    redis: Option<String>,
    /// Redis in a mode (and whether this test needs its topology alone, for a failover).
    redis_mode: Option<(Mode, bool)>,
    settings: Vec<(String, String)>,
    unset: Vec<String>,
    gateways: usize,
    sim_token: bool,
}

impl TestAppBuilder {
    /// Adjusts the simulator's settings (it knows tenants A and B unless told otherwise).
    pub fn simulator(mut self, tweak: impl FnOnce(&mut SimulatorSettings)) -> Self {
        tweak(self.simulator.get_or_insert_with(default_simulator));
        self
    }

    /// Points the gateways at `url` instead of a simulator (none is started).
    pub fn upstream(mut self, url: &str) -> Self {
        self.upstream = Some(url.to_string());
        self.simulator = None;
        self
    }

    /// Points the gateways at a port where nothing listens.
    pub fn closed_upstream(self) -> Self {
        let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", closed.local_addr().expect("address"));
        drop(closed);
        self.upstream(&url)
    }

    /// The tenants the gateways serve (A and B unless told otherwise).
    pub fn tenants(mut self, tenants: &[&'static TenantSpec]) -> Self {
        self.tenants = tenants.to_vec();
        self
    }

    /// The test Redis, under a key prefix of this app's own.
    #[allow(dead_code)] // the tests in Redis use `redis_mode`; kept as the short form
    pub fn redis(self) -> Self {
        self.redis_at(&redis_url())
    }

    pub fn redis_at(mut self, url: &str) -> Self {
        self.redis = Some(url.to_string());
        self
    }

    /// Redis in `mode`: the test Redis, or the local Sentinel setup or Cluster, held shared
    /// with other tests while the app lives.
    pub fn redis_mode(mut self, mode: Mode) -> Self {
        self.redis_mode = Some((mode, false));
        for (k, v) in mode.settings() {
            self = self.setting(k, &v);
        }
        self
    }

    /// Holds the mode's topology alone while the app lives (a test that kills its master).
    pub fn holding_redis_alone(mut self) -> Self {
        if let Some((_, alone)) = &mut self.redis_mode {
            *alone = true;
        }
        self
    }

    /// Adds or replaces one gateway setting, as its environment variable.
    pub fn setting(mut self, key: &str, value: &str) -> Self {
        self.settings.push((key.to_string(), value.to_string()));
        self
    }

    /// Leaves one of the default settings out.
    pub fn unset(mut self, key: &str) -> Self {
        self.unset.push(key.to_string());
        self
    }

    /// How many gateways to start (replicas of one deployment: same settings and Redis keys).
    pub fn replicas(mut self, n: usize) -> Self {
        self.gateways = n;
        self
    }

    pub fn no_gateway(self) -> Self {
        self.replicas(0)
    }

    /// Urssaf calls time out after 300 ms and are not retried.
    pub fn short_upstream_timeout(self) -> Self {
        self.setting("GATEWAY__UPSTREAM__TIMEOUT_MS", "300")
            .setting("GATEWAY__UPSTREAM__MAX_RETRIES", "0")
    }

    /// The gateway settings, as environment variables would give them, and the API keys.
    fn gateway_vars(
        &self,
        upstream: &str,
    ) -> (Vec<(String, String)>, HashMap<&'static str, String>) {
        let mut vars = vec![
            ("GATEWAY__SERVER__HOST".to_string(), "127.0.0.1".to_string()),
            ("GATEWAY__SERVER__PORT".into(), "0".into()),
            ("GATEWAY__SERVER__WORKERS".into(), "2".into()),
            ("GATEWAY__UPSTREAM__ENVIRONMENT".into(), "embedded".into()),
            ("GATEWAY__UPSTREAM__BASE_URL".into(), upstream.into()),
            ("GATEWAY__UPSTREAM__RETRY_BASE_MS".into(), "10".into()),
            ("GATEWAY__UPSTREAM__RETRY_MAX_MS".into(), "50".into()),
            // Tests count Urssaf calls: the periodic tenant check runs only where a test asks.
            ("GATEWAY__CHECK__INTERVAL_SECONDS".into(), "0".into()),
            // …and so does the events poller (its tests turn it on).
            ("GATEWAY__EVENTS__ENABLED".into(), "false".into()),
            // Tests sharing one Redis must not share keys.
            (
                "GATEWAY__REDIS__KEY_PREFIX".into(),
                format!("test-{}", uuid::Uuid::new_v4().simple()),
            ),
        ];
        if let Some(r) = &self.redis {
            vars.push(("GATEWAY__REDIS__URL".into(), r.clone()));
        }
        let mut keys = HashMap::new();
        for t in &self.tenants {
            let key = format!("key-{}-{}", t.id, uuid::Uuid::new_v4().simple());
            let prefix = format!("GATEWAY__TENANTS__{}__", t.id.to_uppercase());
            vars.push((format!("{prefix}CLIENT_ID"), t.client_id.into()));
            vars.push((format!("{prefix}CLIENT_SECRET"), t.client_secret.into()));
            vars.push((format!("{prefix}API_KEY_HASHES"), hash_key(&key)));
            vars.push((format!("{prefix}WORKER_ID"), "SAP123456789".into()));
            keys.insert(t.id, key);
        }
        vars.retain(|(k, _)| !self.unset.contains(k));
        (with_settings(vars, &self.settings), keys)
    }

    pub async fn start(mut self) -> TestApp {
        init_logs();
        if self.redis.is_some() {
            require_redis().await;
        }
        let hold = match self.redis_mode {
            Some((mode, alone)) => Some(mode.hold(alone).await),
            None => None,
        };
        let sim = self.simulator.take().map(|settings| {
            let sim = Simulator::new(settings);
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            let url = format!("http://{}", listener.local_addr().expect("address"));
            tokio::spawn(sim.serve(listener).expect("simulator serves"));
            (sim, url)
        });
        let sim_url = sim.as_ref().map(|(_, u)| u.clone()).unwrap_or_default();
        let upstream = self.upstream.clone().unwrap_or_else(|| sim_url.clone());
        let (vars, keys) = self.gateway_vars(&upstream);
        let mut app = TestApp {
            sim: sim.map(|(s, _)| s),
            sim_url,
            gateways: Vec::new(),
            http: reqwest::Client::builder()
                .no_proxy()
                .build()
                .expect("http client"),
            token: String::new(),
            vars,
            keys: Arc::new(keys),
            _redis_hold: hold,
        };
        for _ in 0..self.gateways {
            let gw = app.replica().await;
            app.gateways.push(gw);
        }
        if self.sim_token {
            app.token = app.token_for(A).await;
        }
        app
    }

    /// Starts, then registers a client of tenant A straight at the simulator (its own token:
    /// the gateways stay cold). Returns the app and the client id.
    pub async fn start_with_client(self) -> (TestApp, String) {
        let app = self.start().await;
        let id = app.register_at_simulator(&TENANT_A).await;
        (app, id)
    }
}

/// A simulator knowing tenants A and B, with its admin API.
fn default_simulator() -> SimulatorSettings {
    SimulatorSettings {
        credentials: [A, B]
            .iter()
            .map(|(id, secret)| (id.to_string(), SecretString::from(secret.to_string())))
            .collect(),
        admin_enabled: true,
        ..SimulatorSettings::default()
    }
}

impl TestApp {
    /// A simulator knowing tenants A and B, and one gateway in front of it serving both.
    pub fn builder() -> TestAppBuilder {
        TestAppBuilder {
            simulator: Some(default_simulator()),
            upstream: None,
            tenants: vec![&TENANT_A, &TENANT_B],
            redis: None,
            redis_mode: None,
            settings: Vec::new(),
            unset: Vec::new(),
            gateways: 1,
            sim_token: false,
        }
    }

    /// A simulator alone, with a token of tenant A taken as a billing tool would.
    pub fn simulator_only() -> TestAppBuilder {
        TestAppBuilder {
            sim_token: true,
            ..Self::builder().no_gateway()
        }
    }
}
