//! The Redis level of the token cache and the cross-replica fetch lock.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::seal::Sealer;
use super::{now_ms, Token};
use crate::metrics::Metrics;
use crate::redis_store::{RedisStore, Script, Unavailable};
use crate::tenant::Tenant;

/// Deletes a key only when it still holds the given value (lock release, token purge).
const COMPARE_AND_DELETE: &str = r#"
if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("DEL", KEYS[1])
end
return 0
"#;

pub(super) struct SharedTokens {
    store: RedisStore,
    lock_ttl: Duration,
    sealer: Sealer,
    compare_and_delete: Script,
}

pub(super) enum Lock {
    Acquired(Owned),
    HeldElsewhere,
    Unavailable,
}

pub(super) struct Owned {
    key: String,
    owner: String,
}

#[derive(Serialize, Deserialize)]
struct Stored {
    access_token: String,
    expires_at_ms: u64,
    refresh_at_ms: u64,
}

impl SharedTokens {
    pub(super) fn new(store: RedisStore, lock_ttl: Duration, sealer: Sealer) -> SharedTokens {
        SharedTokens {
            store,
            lock_ttl,
            sealer,
            compare_and_delete: Script::new(COMPARE_AND_DELETE),
        }
    }

    /// `<prefix>:{<token cache id>}:token`: the tenant's hash tag, as every key of its.
    fn key(&self, tenant: &Tenant) -> String {
        self.store.tenant_key(tenant.token_cache_id(), &["token"])
    }

    pub(super) async fn get(&self, tenant: &Arc<Tenant>, metrics: &Metrics) -> Option<Token> {
        let key = self.key(tenant);
        let got = self
            .store
            .run::<Option<String>>(redis::cmd("GET").arg(&key))
            .await;
        let result = match &got {
            Ok(Some(_)) => "hit",
            Ok(None) => "miss",
            Err(_) => "error",
        };
        metrics
            .token_lookups
            .with_label_values(&["redis", result])
            .inc();
        self.decode(&key, got.ok().flatten())
    }

    pub(super) async fn get_quiet(
        &self,
        tenant: &Arc<Tenant>,
    ) -> Result<Option<Token>, Unavailable> {
        let key = self.key(tenant);
        let got = self
            .store
            .run::<Option<String>>(redis::cmd("GET").arg(&key))
            .await?;
        Ok(self.decode(&key, got))
    }

    fn decode(&self, key: &str, raw: Option<String>) -> Option<Token> {
        let s: Stored = serde_json::from_str(&self.sealer.open(key, &raw?)?).ok()?;
        Some(Token::from_parts(
            s.access_token,
            s.expires_at_ms,
            s.refresh_at_ms,
        ))
    }

    /// Stored until the token should be refreshed, so L2 never hands out a stale one.
    pub(super) async fn put(&self, tenant: &Arc<Tenant>, t: &Token) {
        let ttl = t.refresh_at_ms.saturating_sub(now_ms());
        if ttl == 0 {
            return;
        }
        let stored = Stored {
            access_token: t.secret().to_string(),
            expires_at_ms: t.expires_at_ms,
            refresh_at_ms: t.refresh_at_ms,
        };
        let key = self.key(tenant);
        let Some(value) = serde_json::to_string(&stored)
            .ok()
            .and_then(|json| self.sealer.seal(&key, &json))
        else {
            return;
        };
        let _ = self
            .store
            .run::<()>(redis::cmd("SET").arg(&key).arg(value).arg("PX").arg(ttl))
            .await;
    }

    /// Removes the shared token only if it is the one Urssaf refused (not a newer one).
    pub(super) async fn purge(&self, tenant: &Arc<Tenant>, refused: &str) {
        let key = self.key(tenant);
        let Ok(Some(raw)) = self
            .store
            .run::<Option<String>>(redis::cmd("GET").arg(&key))
            .await
        else {
            return;
        };
        // Unreadable values go too: they are no use to anyone.
        let same = self
            .sealer
            .open(&key, &raw)
            .and_then(|json| serde_json::from_str::<Stored>(&json).ok())
            .is_none_or(|s| s.access_token == refused);
        if same {
            let _ = self
                .store
                .run_script::<i64>(&self.compare_and_delete, &[&key], &[&raw])
                .await;
        }
    }

    pub(super) async fn lock(&self, tenant: &Arc<Tenant>) -> Lock {
        let key = self
            .store
            .tenant_key(tenant.token_cache_id(), &["lock", "token"]);
        let owner = uuid::Uuid::new_v4().to_string();
        let set = redis::cmd("SET")
            .arg(&key)
            .arg(&owner)
            .arg("NX")
            .arg("PX")
            .arg(self.lock_ttl.as_millis() as u64)
            .clone();
        match self.store.run::<Option<String>>(&set).await {
            Ok(Some(_)) => Lock::Acquired(Owned { key, owner }),
            Ok(None) => Lock::HeldElsewhere,
            Err(_) => Lock::Unavailable,
        }
    }

    pub(super) async fn unlock(&self, lock: Owned) {
        let _ = self
            .store
            .run_script::<i64>(&self.compare_and_delete, &[&lock.key], &[&lock.owner])
            .await;
    }
}
