//! Tenants: one provider each (Urssaf credentials, environment, defaults), the API keys that
//! act for it, what it may use at once, and how it fares with Urssaf. The set of tenants can
//! change while running (see [`registry`]).

pub mod check_board;
mod claims;
mod directory;
pub mod health;
pub mod limits;
pub mod registry;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use secrecy::SecretString;
use sha2::{Digest, Sha256};

use crate::config::{Environment, KeyHash};
use crate::webhook_endpoint::WebhookEndpoint;
pub use health::TenantHealth;
pub use limits::TenantLimiter;
pub use registry::{ReloadReport, TenantRegistry};

/// Where one Urssaf environment answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// Host plus `/atp/v1/tiersPrestations`.
    pub api_base: String,
    pub token_url: String,
}

impl Endpoints {
    pub fn for_host(host: &str) -> Endpoints {
        let host = host.trim_end_matches('/');
        Endpoints {
            api_base: format!("{host}{}", crate::config::BASE_PATH),
            token_url: format!("{host}{}", crate::config::TOKEN_PATH),
        }
    }
}

/// Where a tenant's settings come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The configuration file or environment variables (read at start).
    Config,
    /// A file of the tenants directory (read again while running).
    Directory,
    /// The embedded default's demo tenant.
    Demo,
}

/// What a tenant is made of; defaults already resolved.
pub struct TenantSpec {
    pub id: String,
    pub client_id: String,
    pub client_secret: SecretString,
    pub environment: Environment,
    pub endpoints: Endpoints,
    pub billing_id: String,
    pub worker_id: Option<String>,
    pub key_hashes: Vec<KeyHash>,
    pub source: Source,
    pub webhook: Option<WebhookEndpoint>,
    /// Its webhook may go to `http` and private addresses (a tenant of the simulator).
    pub private_webhooks: bool,
}

#[derive(Debug)]
pub struct Tenant {
    pub id: String,
    pub client_id: String,
    pub client_secret: SecretString,
    pub environment: Environment,
    pub endpoints: Endpoints,
    /// Urssaf `idTiersFacturation`.
    pub billing_id: String,
    /// Default Urssaf `complement2`.
    pub worker_id: Option<String>,
    pub source: Source,
    /// Where this tenant's events are pushed.
    pub webhook: Option<WebhookEndpoint>,
    /// Its webhook may go to `http` and private addresses (a tenant of the simulator).
    pub private_webhooks: bool,
    key_hashes: Vec<KeyHash>,
    cache_id: String,
    /// Kept across reloads of the same tenant.
    pub health: Arc<TenantHealth>,
    pub limiter: Arc<TenantLimiter>,
}

impl Tenant {
    pub fn new(spec: TenantSpec, health: Arc<TenantHealth>, limiter: Arc<TenantLimiter>) -> Tenant {
        // Environment and a digest of the client id and token URL: never the id itself.
        let digest = Sha256::digest(format!("{}\n{}", spec.client_id, spec.endpoints.token_url));
        let cache_id = format!(
            "{}:{}",
            spec.environment.as_str(),
            &hex::encode(digest)[..24]
        );
        Tenant {
            id: spec.id,
            client_id: spec.client_id,
            client_secret: spec.client_secret,
            environment: spec.environment,
            endpoints: spec.endpoints,
            billing_id: spec.billing_id,
            worker_id: spec.worker_id,
            source: spec.source,
            webhook: spec.webhook,
            private_webhooks: spec.private_webhooks,
            key_hashes: spec.key_hashes,
            cache_id,
            health,
            limiter,
        }
    }

    /// Key of this tenant's token in the shared cache.
    pub fn token_cache_id(&self) -> &str {
        &self.cache_id
    }

    pub fn key_count(&self) -> usize {
        self.key_hashes.len()
    }

    pub(crate) fn key_hashes(&self) -> &[KeyHash] {
        &self.key_hashes
    }

    /// Same Urssaf identity and keys: a reload leaves such a tenant as it is.
    fn same_as(&self, other: &Tenant) -> bool {
        use secrecy::ExposeSecret;
        self.cache_id == other.cache_id
            && self.client_secret.expose_secret() == other.client_secret.expose_secret()
            && self.key_hashes == other.key_hashes
            && self.billing_id == other.billing_id
            && self.worker_id == other.worker_id
            && self.webhook == other.webhook
            && self.private_webhooks == other.private_webhooks
            && self.limiter.same_limits(&other.limiter)
    }
}

/// SHA-256 of an API key, hex-encoded: what the configuration stores.
pub fn hash_key(key: &str) -> String {
    KeyHash::of(key).to_hex()
}

/// One set of tenants, indexed by API-key hash (one lookup per request, whatever the number
/// of tenants) and by id.
#[derive(Debug, Default)]
pub struct Tenants {
    /// A fast hash is enough: the keys are digests, and callers only look up.
    by_key: HashMap<[u8; 32], Arc<Tenant>, foldhash::fast::RandomState>,
    by_id: BTreeMap<String, Arc<Tenant>>,
}

impl Tenants {
    /// Tenants whose ids and keys are unique (the registry makes sure of it); a later
    /// duplicate is ignored.
    pub fn new(list: impl IntoIterator<Item = Arc<Tenant>>) -> Tenants {
        let mut t = Tenants::default();
        for tenant in list {
            if t.by_id.contains_key(&tenant.id) {
                continue;
            }
            for h in &tenant.key_hashes {
                t.by_key.entry(h.0).or_insert_with(|| tenant.clone());
            }
            t.by_id.insert(tenant.id.clone(), tenant);
        }
        t
    }

    pub fn iter(&self) -> impl Iterator<Item = &Arc<Tenant>> {
        self.by_id.values()
    }

    pub fn get(&self, id: &str) -> Option<&Arc<Tenant>> {
        self.by_id.get(id)
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// The tenant an API key acts for. The key is hashed first and the lookup is by its
    /// SHA-256: the timing of a miss says nothing about any stored key.
    pub fn authenticate(&self, key: &str) -> Option<Arc<Tenant>> {
        self.by_key.get(&KeyHash::of(key).0).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn tenant(id: &str, key: &str) -> Arc<Tenant> {
        Arc::new(Tenant::new(
            TenantSpec {
                id: id.into(),
                client_id: format!("{id}-client"),
                client_secret: SecretString::from("s"),
                environment: Environment::Embedded,
                endpoints: Endpoints::for_host("http://127.0.0.1:1"),
                billing_id: id.into(),
                worker_id: None,
                key_hashes: vec![KeyHash::of(key)],
                source: Source::Config,
                webhook: None,
                private_webhooks: false,
            },
            Arc::default(),
            Arc::new(TenantLimiter::new(0, 0, 0)),
        ))
    }

    #[test]
    fn keys_find_their_own_tenant_only() {
        let t = Tenants::new([tenant("a", "key-a"), tenant("b", "key-b")]);
        assert_eq!(t.authenticate("key-a").unwrap().id, "a");
        assert_eq!(t.authenticate("key-b").unwrap().id, "b");
        assert!(t.authenticate("key-c").is_none());
        assert!(t.authenticate("").is_none());
    }

    #[test]
    fn endpoints_use_the_proxy_base_path() {
        let e = Endpoints::for_host("https://api.urssaf.fr/");
        assert_eq!(e.api_base, "https://api.urssaf.fr/atp/v1/tiersPrestations");
        assert_eq!(e.token_url, "https://api.urssaf.fr/api/oauth/v1/token");
    }
}
