//! Tenants: one provider each (Urssaf credentials, environment, defaults) and the API keys
//! that act for it.

use std::sync::Arc;

use secrecy::SecretString;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::config::{Environment, KeyHash};

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
            api_base: format!("{host}{}", crate::urssaf::wire::BASE_PATH),
            token_url: format!("{host}{}", crate::urssaf::wire::TOKEN_PATH),
        }
    }
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
    key_hashes: Vec<[u8; 32]>,
}

impl Tenant {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        id: String,
        client_id: String,
        client_secret: SecretString,
        environment: Environment,
        endpoints: Endpoints,
        billing_id: String,
        worker_id: Option<String>,
        key_hashes: &[KeyHash],
    ) -> Tenant {
        let key_hashes = key_hashes.iter().map(|h| h.0).collect();
        Tenant {
            id,
            client_id,
            client_secret,
            environment,
            endpoints,
            billing_id,
            worker_id,
            key_hashes,
        }
    }

    /// Key of this tenant's token in the shared cache: environment and a digest of the
    /// client id and token URL (never the id itself).
    pub fn token_cache_id(&self) -> String {
        let digest = Sha256::digest(format!("{}\n{}", self.client_id, self.endpoints.token_url));
        format!(
            "{}:{}",
            self.environment.as_str(),
            &hex::encode(digest)[..24]
        )
    }
}

/// SHA-256 of an API key, hex-encoded: what the configuration stores.
pub fn hash_key(key: &str) -> String {
    KeyHash::of(key).to_hex()
}

#[derive(Debug, Default)]
pub struct Tenants {
    list: Vec<Arc<Tenant>>,
}

impl Tenants {
    pub fn new(list: Vec<Tenant>) -> Tenants {
        Tenants {
            list: list.into_iter().map(Arc::new).collect(),
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &Arc<Tenant>> {
        self.list.iter()
    }

    /// The tenant an API key acts for. Every configured hash is compared, in constant time,
    /// so the answer's timing says nothing about which key (or how much of it) matched.
    pub fn authenticate(&self, key: &str) -> Option<Arc<Tenant>> {
        let presented: [u8; 32] = Sha256::digest(key.as_bytes()).into();
        let mut found = None;
        for t in &self.list {
            for h in &t.key_hashes {
                if bool::from(h.ct_eq(&presented)) && found.is_none() {
                    found = Some(t.clone());
                }
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant(id: &str, key: &str) -> Tenant {
        Tenant::new(
            id.into(),
            format!("{id}-client"),
            SecretString::from("s"),
            Environment::Embedded,
            Endpoints::for_host("http://127.0.0.1:1"),
            id.into(),
            None,
            &[KeyHash::of(key)],
        )
    }

    #[test]
    fn keys_find_their_own_tenant_only() {
        let t = Tenants::new(vec![tenant("a", "key-a"), tenant("b", "key-b")]);
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
