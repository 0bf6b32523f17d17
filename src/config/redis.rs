//! Where Redis is: one node, a master found through Sentinel, or a Cluster. Read from the
//! configuration and parsed into connection parameters the `redis` crate takes as they are, with
//! every problem reported at once, one line each naming its key.

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use redis::sentinel::SentinelNodeConnectionInfo;
use redis::{ConnectionAddr, ConnectionInfo, IntoConnectionInfo, TlsMode};

use super::tenant::string_or_list;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RedisMode {
    /// One Redis node (`redis.url`).
    #[default]
    Standalone,
    /// A master and its replicas watched by Redis Sentinel: `redis.urls` are the sentinels.
    Sentinel,
    /// A Redis Cluster: `redis.urls` are some of its nodes (the others are discovered).
    Cluster,
}

impl RedisMode {
    pub fn as_str(self) -> &'static str {
        match self {
            RedisMode::Standalone => "standalone",
            RedisMode::Sentinel => "sentinel",
            RedisMode::Cluster => "cluster",
        }
    }
}

/// `redis` as written in the configuration.
#[derive(Deserialize)]
pub(super) struct RawRedis {
    #[serde(default)]
    mode: RedisMode,
    url: Option<SecretString>,
    /// Secret too: a URL may carry a password.
    #[serde(default, deserialize_with = "string_or_list")]
    urls: Vec<String>,
    sentinel_master: Option<String>,
    username: Option<String>,
    password: Option<SecretString>,
    sentinel_username: Option<String>,
    sentinel_password: Option<SecretString>,
    timeout_ms: u64,
    retry_after_ms: u64,
    key_prefix: String,
}

#[derive(Debug, Clone)]
pub struct RedisSettings {
    /// Where Redis is; none = tokens and idempotency records kept in process only.
    pub server: Option<RedisServer>,
    /// Deadline of one Redis command (and of connecting).
    pub timeout_ms: u64,
    /// After a Redis failure, go without Redis for this long before trying again.
    pub retry_after_ms: u64,
    /// Every key starts with it; it holds no `{`/`}`, so the per-tenant hash tag is the key's.
    pub key_prefix: String,
}

/// Connection parameters, known good (Debug never shows a password).
#[derive(Debug, Clone)]
pub enum RedisServer {
    Standalone(ConnectionInfo),
    Sentinel {
        /// The sentinels, with their own credentials.
        sentinels: Vec<ConnectionInfo>,
        /// The name the sentinels monitor the master under.
        master_name: String,
        /// How to talk to the master they name: credentials, database, TLS.
        master: SentinelNodeConnectionInfo,
    },
    /// Seed nodes, with the same credentials and TLS mode each.
    Cluster(Vec<ConnectionInfo>),
}

impl RedisServer {
    pub fn mode(&self) -> RedisMode {
        match self {
            RedisServer::Standalone(_) => RedisMode::Standalone,
            RedisServer::Sentinel { .. } => RedisMode::Sentinel,
            RedisServer::Cluster(_) => RedisMode::Cluster,
        }
    }
}

/// A setting given as an empty string (an unset Helm value, `VAR=`) counts as not given.
fn given(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

fn given_secret(s: Option<SecretString>) -> Option<String> {
    given(s.map(|s| s.expose_secret().to_string()))
}

/// A username and a password given in the settings (each replaces the one in the URLs).
struct Auth {
    username: Option<String>,
    password: Option<String>,
}

impl RedisSettings {
    pub(super) fn parse(raw: RawRedis) -> Result<RedisSettings, Vec<String>> {
        let mut out = Vec::new();
        let mode = raw.mode;
        let urls: Vec<String> = raw
            .urls
            .into_iter()
            .filter_map(|u| given(Some(u)))
            .collect();
        let master_name = given(raw.sentinel_master);
        let auth = Auth {
            username: given(raw.username),
            password: given_secret(raw.password),
        };
        let sentinel_auth = Auth {
            username: given(raw.sentinel_username),
            password: given_secret(raw.sentinel_password),
        };

        if raw.key_prefix.contains(['{', '}']) {
            out.push("redis.key_prefix: must not contain { or } (the gateway adds a hash tag per tenant, so that a tenant's keys share one Redis Cluster slot)".into());
        }
        let named = named_urls(given_secret(raw.url), urls, &mut out);
        let mut nodes = Vec::new();
        for (key, text) in &named {
            match text.as_str().into_connection_info() {
                Ok(info) if info.addr().is_supported() => nodes.push((key.as_str(), info)),
                // Not echoed: a URL may carry a password.
                _ => out.push(format!("{key}: not a valid redis:// or rediss:// URL")),
            }
        }
        if mode != RedisMode::Sentinel {
            for (key, given) in [
                ("sentinel_master", master_name.is_some()),
                ("sentinel_username", sentinel_auth.username.is_some()),
                ("sentinel_password", sentinel_auth.password.is_some()),
            ] {
                if given {
                    out.push(format!(
                        "redis.{key}: only used with redis.mode = sentinel (redis.mode is {})",
                        mode.as_str()
                    ));
                }
            }
        }
        if mode != RedisMode::Standalone {
            check_several_nodes(mode, named.is_empty(), &nodes, &mut out);
        }
        let server = match mode {
            RedisMode::Standalone => {
                if named.len() > 1 {
                    out.push(format!(
                        "redis.urls: {} URLs for redis.mode = standalone, which takes one (set redis.mode = sentinel or cluster for several)",
                        named.len()
                    ));
                }
                nodes
                    .pop()
                    .map(|(_, info)| RedisServer::Standalone(with_auth(info, &auth)))
            }
            RedisMode::Cluster => cluster(nodes, &auth, &mut out),
            RedisMode::Sentinel => sentinel(nodes, master_name, &auth, &sentinel_auth, &mut out),
        };
        if !out.is_empty() {
            return Err(out);
        }
        Ok(RedisSettings {
            server,
            timeout_ms: raw.timeout_ms,
            retry_after_ms: raw.retry_after_ms,
            key_prefix: raw.key_prefix,
        })
    }
}

/// (key, URL) pairs: `redis.url` is the one-node form of `redis.urls`.
fn named_urls(
    url: Option<String>,
    urls: Vec<String>,
    out: &mut Vec<String>,
) -> Vec<(String, String)> {
    match (url, urls.is_empty()) {
        (Some(_), false) => {
            out.push("redis.urls: set either redis.url or redis.urls, not both".into());
            Vec::new()
        }
        (Some(u), true) => vec![("redis.url".into(), u)],
        (None, _) => urls
            .into_iter()
            .enumerate()
            .map(|(i, u)| (format!("redis.urls[{i}]"), u))
            .collect(),
    }
}

/// Sentinel and Cluster: some host:port nodes, all reached the same way.
fn check_several_nodes(
    mode: RedisMode,
    none_named: bool,
    nodes: &[(&str, ConnectionInfo)],
    out: &mut Vec<String>,
) {
    for (key, info) in nodes {
        if matches!(info.addr(), ConnectionAddr::Unix(_)) {
            out.push(format!(
                "{key}: {} mode needs host:port addresses, not a unix socket",
                mode.as_str()
            ));
        }
    }
    let tls: Vec<Option<TlsMode>> = nodes.iter().map(|(_, i)| tls_mode(i)).collect();
    if tls.windows(2).any(|w| w[0] != w[1]) {
        out.push("redis.urls: mixes redis:// and rediss:// (or #insecure); every node is reached the same way".into());
    }
    if none_named {
        let what = match mode {
            RedisMode::Sentinel => {
                "the sentinels' addresses, e.g. redis://sentinel-0:26379,redis://sentinel-1:26379"
            }
            _ => "some of the cluster's nodes, e.g. redis://redis-0:6379,redis://redis-1:6379",
        };
        out.push(format!(
            "redis.urls: missing; redis.mode = {} needs {what}",
            mode.as_str()
        ));
    }
}

/// Seed nodes on database 0, with the same credentials.
fn cluster(
    nodes: Vec<(&str, ConnectionInfo)>,
    auth: &Auth,
    out: &mut Vec<String>,
) -> Option<RedisServer> {
    for (key, info) in &nodes {
        if info.redis_settings().db() != 0 {
            out.push(format!(
                "{key}: Redis Cluster has database 0 only (drop the /{} path)",
                info.redis_settings().db()
            ));
        }
    }
    let seeds: Vec<ConnectionInfo> = nodes
        .into_iter()
        .map(|(_, info)| with_auth(info, auth))
        .collect();
    let same =
        |f: fn(&ConnectionInfo) -> Option<&str>| seeds.windows(2).all(|w| f(&w[0]) == f(&w[1]));
    if !same(|i| i.redis_settings().username()) || !same(|i| i.redis_settings().password()) {
        out.push("redis.urls: the nodes' URLs carry different credentials; give every node the same (or set redis.username / redis.password)".into());
    }
    (!seeds.is_empty()).then_some(RedisServer::Cluster(seeds))
}

/// The sentinels (with their own credentials) and how to reach the master they name.
fn sentinel(
    nodes: Vec<(&str, ConnectionInfo)>,
    master_name: Option<String>,
    auth: &Auth,
    sentinel_auth: &Auth,
    out: &mut Vec<String>,
) -> Option<RedisServer> {
    if master_name.is_none() {
        out.push("redis.sentinel_master: missing; redis.mode = sentinel needs the name the sentinels monitor the master under (e.g. mymaster)".into());
    }
    // The database and TLS of the URLs are the master's: sentinels have neither databases
    // (SELECT fails there) nor a say in how the master is reached.
    let db = nodes
        .first()
        .map(|(_, i)| i.redis_settings().db())
        .unwrap_or(0);
    let tls = nodes.first().and_then(|(_, i)| tls_mode(i));
    let sentinels: Vec<ConnectionInfo> = nodes
        .into_iter()
        .map(|(_, info)| {
            let info = with_auth(info, sentinel_auth);
            let redis = info.redis_settings().clone().set_db(0);
            info.set_redis_settings(redis)
        })
        .collect();
    let mut master_auth = redis::RedisConnectionInfo::default().set_db(db);
    if let Some(u) = &auth.username {
        master_auth = master_auth.set_username(u);
    }
    if let Some(p) = &auth.password {
        master_auth = master_auth.set_password(p);
    }
    let mut master = SentinelNodeConnectionInfo::default().set_redis_connection_info(master_auth);
    if let Some(tls) = tls {
        master = master.set_tls_mode(tls);
    }
    match master_name {
        Some(master_name) if !sentinels.is_empty() => Some(RedisServer::Sentinel {
            sentinels,
            master_name,
            master,
        }),
        _ => None,
    }
}

fn tls_mode(info: &ConnectionInfo) -> Option<TlsMode> {
    match info.addr() {
        ConnectionAddr::TcpTls { insecure: true, .. } => Some(TlsMode::Insecure),
        ConnectionAddr::TcpTls { .. } => Some(TlsMode::Secure),
        _ => None,
    }
}

/// The node's URL credentials, replaced by the settings' when those are given.
fn with_auth(info: ConnectionInfo, auth: &Auth) -> ConnectionInfo {
    let mut redis = info.redis_settings().clone();
    if let Some(u) = &auth.username {
        redis = redis.set_username(u);
    }
    if let Some(p) = &auth.password {
        redis = redis.set_password(p);
    }
    info.set_redis_settings(redis)
}
