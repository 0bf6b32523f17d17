//! Redis in its three modes: the test Redis (standalone), and the local Sentinel setup and
//! Redis Cluster that `scripts/redis-topologies` starts once per test run (or reuses).
//!
//! Tests in a mode hold the topology shared while they run; a failover test holds it alone.
//! The hold is a file lock (`flock`), so test runs of other checkouts sharing the topologies
//! wait for each other too.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::OnceLock;

use tokio::io::AsyncBufReadExt;

use redis::aio::MultiplexedConnection;
use redis::cluster_async::ClusterConnection;
use redis::sentinel::{SentinelClient, SentinelNodeConnectionInfo, SentinelServerType};

use crate::test_redis::{redis_url, require_redis};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Standalone,
    Sentinel,
    Cluster,
}

/// Generates one test per mode (`<name>::standalone`, `::sentinel`, `::cluster`) running
/// `async fn body(mode: Mode)`.
macro_rules! in_every_mode {
    ($name:ident, $body:ident) => {
        in_every_mode!($name, $body, 4);
    };
    ($name:ident, $body:ident, $threads:literal) => {
        mod $name {
            use crate::redis_modes::Mode;

            #[tokio::test(flavor = "multi_thread", worker_threads = $threads)]
            async fn standalone() {
                super::$body(Mode::Standalone).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = $threads)]
            async fn sentinel() {
                super::$body(Mode::Sentinel).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = $threads)]
            async fn cluster() {
                super::$body(Mode::Cluster).await
            }
        }
    };
}
pub(crate) use in_every_mode;

/// Where the local topologies are. Their data nodes and sentinels have passwords of their
/// own, given apart from the URLs (as a Secret would give them).
pub struct Topologies {
    pub cluster_urls: String,
    pub sentinel_urls: String,
    pub sentinel_master: String,
    pub data_password: String,
    pub sentinel_password: String,
    pub dir: PathBuf,
}

const VARS: [&str; 6] = [
    "REDIS_CLUSTER_URLS",
    "REDIS_SENTINEL_URLS",
    "REDIS_SENTINEL_MASTER",
    "REDIS_DATA_PASSWORD",
    "REDIS_SENTINEL_PASSWORD",
    "REDIS_TOPOLOGIES_DIR",
];

impl Topologies {
    fn from(get: impl Fn(&str) -> Option<String>) -> Option<Topologies> {
        let [c, s, m, dp, sp, d] = VARS.map(get);
        Some(Topologies {
            cluster_urls: c?,
            sentinel_urls: s?,
            sentinel_master: m?,
            data_password: dp?,
            sentinel_password: sp?,
            dir: d?.into(),
        })
    }
}

/// The topologies, started by the test command (which exports where they are) or else here,
/// once per test process. Never skipped: a test in a mode fails when they cannot start.
pub fn topologies() -> &'static Topologies {
    static TOPOLOGIES: OnceLock<Topologies> = OnceLock::new();
    TOPOLOGIES.get_or_init(|| {
        let exported = Topologies::from(|k| std::env::var(k).ok().filter(|v| !v.is_empty()));
        if let Some(t) = exported {
            return t;
        }
        let out = std::process::Command::new(script())
            .arg("start")
            .output()
            .expect("run scripts/redis-topologies");
        assert!(
            out.status.success(),
            "scripts/redis-topologies start failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        Topologies::from(|k| {
            text.lines()
                .find_map(|l| l.strip_prefix(&format!("{k}=")))
                .map(str::to_string)
        })
        .unwrap_or_else(|| panic!("scripts/redis-topologies start printed: {text}"))
    })
}

pub fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/redis-topologies")
}

/// Runs `scripts/redis-topologies <args>` and returns what it printed.
pub async fn topology_command(args: &[&str]) -> String {
    let out = tokio::process::Command::new(script())
        .args(args)
        .output()
        .await
        .expect("run scripts/redis-topologies");
    assert!(
        out.status.success(),
        "scripts/redis-topologies {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A hold on a topology, released when dropped: `flock` holds the lock while its `cat`
/// reads our end of a pipe, which closes when this is dropped (or the test process dies).
pub struct Hold(#[allow(dead_code)] Option<tokio::process::Child>);

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Standalone => "standalone",
            Mode::Sentinel => "sentinel",
            Mode::Cluster => "cluster",
        }
    }

    /// The gateway settings reaching Redis in this mode.
    pub fn settings(self) -> Vec<(&'static str, String)> {
        match self {
            Mode::Standalone => vec![("GATEWAY__REDIS__URL", redis_url())],
            Mode::Sentinel => {
                let t = topologies();
                vec![
                    ("GATEWAY__REDIS__MODE", "sentinel".into()),
                    ("GATEWAY__REDIS__URLS", t.sentinel_urls.clone()),
                    ("GATEWAY__REDIS__SENTINEL_MASTER", t.sentinel_master.clone()),
                    (
                        "GATEWAY__REDIS__SENTINEL_PASSWORD",
                        t.sentinel_password.clone(),
                    ),
                    ("GATEWAY__REDIS__PASSWORD", t.data_password.clone()),
                ]
            }
            Mode::Cluster => vec![
                ("GATEWAY__REDIS__MODE", "cluster".into()),
                ("GATEWAY__REDIS__URLS", topologies().cluster_urls.clone()),
                (
                    "GATEWAY__REDIS__PASSWORD",
                    topologies().data_password.clone(),
                ),
            ],
        }
    }

    /// Waits until this test may use the topology: shared with other tests, or `alone` (a
    /// failover). Checks the standalone Redis answers.
    pub async fn hold(self, alone: bool) -> Hold {
        if self == Mode::Standalone {
            require_redis().await;
            return Hold(None);
        }
        let path = topologies().dir.join(format!("{}.use", self.name()));
        let mut child = tokio::process::Command::new("flock")
            .arg(if alone { "--exclusive" } else { "--shared" })
            .arg(&path)
            .args(["sh", "-c", "echo held; exec cat"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("flock (util-linux)");
        let stdout = child.stdout.take().expect("flock's stdout");
        let mut line = String::new();
        tokio::io::BufReader::new(stdout)
            .read_line(&mut line)
            .await
            .expect("flock answers");
        assert_eq!(line.trim(), "held", "flock {}", path.display());
        Hold(Some(child))
    }

    /// A connection for looking at what the gateway stored.
    pub async fn inspect(self) -> Inspect {
        match self {
            Mode::Standalone => {
                let client = redis::Client::open(redis_url()).expect("redis url");
                Inspect::Single(
                    client
                        .get_multiplexed_async_connection()
                        .await
                        .expect("redis"),
                )
            }
            Mode::Sentinel => {
                let t = topologies();
                let urls: Vec<String> = t
                    .sentinel_urls
                    .split(',')
                    .map(|u| u.replace("redis://", &format!("redis://:{}@", t.sentinel_password)))
                    .collect();
                let master = SentinelNodeConnectionInfo::default().set_redis_connection_info(
                    redis::RedisConnectionInfo::default().set_password(&t.data_password),
                );
                let mut sentinel = SentinelClient::build(
                    urls,
                    t.sentinel_master.as_str(),
                    Some(master),
                    SentinelServerType::Master,
                )
                .expect("sentinel client");
                let master = sentinel.async_get_client().await.expect("master");
                Inspect::Single(
                    master
                        .get_multiplexed_async_connection()
                        .await
                        .expect("master"),
                )
            }
            Mode::Cluster => {
                let t = topologies();
                let urls: Vec<&str> = t.cluster_urls.split(',').collect();
                let client = redis::cluster::ClusterClient::builder(urls)
                    .password(&t.data_password)
                    .build()
                    .expect("cluster client");
                Inspect::Cluster(client.get_async_connection().await.expect("cluster"))
            }
        }
    }
}

pub enum Inspect {
    Single(MultiplexedConnection),
    Cluster(ClusterConnection),
}

impl Inspect {
    pub async fn query<T: redis::FromRedisValue>(&mut self, cmd: &redis::Cmd) -> T {
        let got = match self {
            Inspect::Single(c) => cmd.query_async(c).await,
            Inspect::Cluster(c) => cmd.query_async(c).await,
        };
        got.unwrap_or_else(|e| panic!("{cmd:?}: {e}"))
    }

    /// Every key matching `pattern` (on a Cluster: on every master).
    pub async fn keys(&mut self, pattern: &str) -> Vec<String> {
        let mut keys: Vec<String> = self.query(redis::cmd("KEYS").arg(pattern)).await;
        keys.sort();
        keys
    }

    pub async fn get(&mut self, key: &str) -> String {
        self.query(redis::cmd("GET").arg(key)).await
    }

    pub async fn del(&mut self, key: &str) {
        let _: i64 = self.query(redis::cmd("DEL").arg(key)).await;
    }

    /// The Cluster slot of a key (Cluster connections only).
    pub async fn slot(&mut self, key: &str) -> i64 {
        self.query(redis::cmd("CLUSTER").arg("KEYSLOT").arg(key))
            .await
    }
}
