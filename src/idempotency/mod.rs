//! `Idempotency-Key`: the first definite answer is kept per tenant and key and replayed for
//! the same body; a concurrent duplicate is told so and never reaches Urssaf.
//!
//! Records live in Redis when configured (shared by replicas), else in process memory; a
//! Redis failure falls back to memory for that request rather than failing it. A claim names
//! its owner, so only the run that made it renews, completes or releases it. An answer (or a
//! release) that could not be written because Redis was away is written once it is back, so
//! replicas agree again after an outage or a failover.

mod memory;
mod redis;

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use self::memory::Memory;
use self::redis::{RedisAway, IF_OWNED};
use crate::redis_store::{RedisStore, Script};

/// A stored answer: status and JSON body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredAnswer {
    pub status: u16,
    pub body: String,
    /// `Location` of a created resource.
    #[serde(default)]
    pub location: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
enum Record {
    InFlight {
        fingerprint: String,
        #[serde(default)]
        owner: String,
    },
    Done {
        fingerprint: String,
        answer: StoredAnswer,
    },
}

impl Record {
    fn fingerprint(&self) -> &str {
        match self {
            Record::InFlight { fingerprint, .. } | Record::Done { fingerprint, .. } => fingerprint,
        }
    }
}

#[derive(Debug)]
pub enum Begin {
    /// First time: go ahead, then [`IdempotencyStore::complete`] or [`IdempotencyStore::release`].
    Fresh(Claim),
    /// Same key, same body, already answered.
    Replay(StoredAnswer),
    /// Same key, same body, still being processed elsewhere.
    InFlight,
    /// Same key, another body.
    Mismatch,
}

/// Proof of a claimed key: where it was claimed and the exact record written.
#[derive(Debug)]
pub struct Claim {
    key: String,
    fingerprint: String,
    /// The in-flight record as stored: compare-and-set operations match on it.
    record: String,
    owner: String,
    in_redis: bool,
}

#[derive(Clone)]
pub struct IdempotencyStore {
    redis: Option<RedisStore>,
    memory: Memory,
    if_owned: Arc<Script>,
    ttl: Duration,
    in_flight_ttl: Duration,
}

/// Digest of a body; JSON is canonicalised first so key order and spacing do not matter.
pub fn fingerprint(body: &[u8]) -> String {
    let canonical = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| serde_json::to_vec(&v).ok())
        .unwrap_or_else(|| body.to_vec());
    hex::encode(Sha256::digest(&canonical))
}

/// Accepted keys: 1 to 255 printable ASCII characters.
pub fn key_is_valid(key: &str) -> bool {
    !key.is_empty() && key.len() <= 255 && key.bytes().all(|b| b.is_ascii_graphic() || b == b' ')
}

impl IdempotencyStore {
    pub fn new(redis: Option<RedisStore>, ttl: Duration, in_flight_ttl: Duration) -> Self {
        IdempotencyStore {
            redis,
            memory: Memory::new(),
            if_owned: Arc::new(Script::new(IF_OWNED)),
            ttl,
            in_flight_ttl,
        }
    }

    /// How often a running request should call [`IdempotencyStore::renew`].
    pub fn renew_every(&self) -> Duration {
        self.in_flight_ttl / 3
    }

    /// `<prefix>:{<tenant tag>}:idem:<scope>:<SHA-256 of the key>`.
    fn storage_key(&self, tenant_tag: &str, scope: &str, key: &str) -> String {
        let digest = hex::encode(Sha256::digest(key.as_bytes()));
        match &self.redis {
            Some(r) => r.tenant_key(tenant_tag, &["idem", scope, &digest]),
            None => format!("{tenant_tag}:{scope}:{digest}"),
        }
    }

    /// `tenant_tag` groups a tenant's records (one Redis Cluster slot), `scope` says what the
    /// key is for within it.
    pub async fn begin(
        &self,
        tenant_tag: &str,
        scope: &str,
        key: &str,
        fingerprint: String,
    ) -> Begin {
        let skey = self.storage_key(tenant_tag, scope, key);
        let owner = uuid::Uuid::new_v4().to_string();
        let claim_record = Record::InFlight {
            fingerprint: fingerprint.clone(),
            owner: owner.clone(),
        };
        let Ok(json) = serde_json::to_string(&claim_record) else {
            return Begin::InFlight;
        };
        // Memory first: it holds what was decided here while Redis could not be reached.
        if let Some(found) = self.memory.judge(&skey, &fingerprint) {
            return found;
        }
        let in_redis = match self.claim_in_redis(&skey, &json, &fingerprint).await {
            Ok(Some(found)) => return found,
            Ok(None) => true,
            Err(RedisAway) => {
                let ttl = self.in_flight_ttl;
                match self.memory.claim(&skey, claim_record, &fingerprint, ttl) {
                    Some(found) => return found,
                    None => false,
                }
            }
        };
        Begin::Fresh(Claim {
            key: skey,
            fingerprint,
            record: json,
            owner,
            in_redis,
        })
    }

    /// Keeps a running request's claim alive past the in-flight TTL.
    pub async fn renew(&self, claim: &Claim) {
        let ttl = self.in_flight_ttl.as_millis().to_string();
        if self.owned_redis(claim, "", &ttl).await.is_none() {
            self.memory.keep(claim, None, self.in_flight_ttl);
        }
    }

    /// Keeps the definite answer for replay.
    pub async fn complete(&self, claim: Claim, answer: StoredAnswer) {
        let record = Record::Done {
            fingerprint: claim.fingerprint.clone(),
            answer,
        };
        let Ok(json) = serde_json::to_string(&record) else {
            return self.release(claim).await;
        };
        let ttl = self.ttl.as_millis().to_string();
        if self.owned_redis(&claim, &json, &ttl).await.is_some() {
            // Kept in Redis: a copy of the claim made here while Redis was away goes.
            self.memory.forget(&claim);
        } else {
            // Redis unusable: keep the answer here (looked at first by `begin`), and in Redis
            // once it answers again.
            self.memory.keep(&claim, Some(record), self.ttl);
            self.write_later(claim, json, ttl);
        }
    }

    /// Frees the key when no definite answer exists (Urssaf unreachable, outcome unknown),
    /// so a retry with the same key can proceed.
    pub async fn release(&self, claim: Claim) {
        self.memory.forget(&claim);
        if claim.in_redis && self.owned_redis(&claim, "", "0").await.is_none() {
            self.write_later(claim, String::new(), "0".into());
        }
    }
}

fn judge(record: Record, fingerprint: &str) -> Begin {
    if record.fingerprint() != fingerprint {
        return Begin::Mismatch;
    }
    match record {
        Record::InFlight { .. } => Begin::InFlight,
        Record::Done { answer, .. } => Begin::Replay(answer),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> IdempotencyStore {
        IdempotencyStore::new(None, Duration::from_secs(60), Duration::from_secs(60))
    }

    #[tokio::test]
    async fn first_claims_then_in_flight_then_replay() {
        let s = store();
        let fp = fingerprint(br#"{"a":1,"b":2}"#);
        let Begin::Fresh(claim) = s.begin("g", "t", "k", fp.clone()).await else {
            panic!("fresh")
        };
        assert!(matches!(
            s.begin("g", "t", "k", fp.clone()).await,
            Begin::InFlight
        ));
        assert!(matches!(
            s.begin("g", "t", "k", fingerprint(b"{}")).await,
            Begin::Mismatch
        ));
        // Same key for another tenant is independent.
        assert!(matches!(
            s.begin("g", "u", "k", fp.clone()).await,
            Begin::Fresh(_)
        ));
        s.complete(
            claim,
            StoredAnswer {
                location: None,
                status: 200,
                body: "{}".into(),
            },
        )
        .await;
        // Key order does not change the fingerprint.
        match s
            .begin("g", "t", "k", fingerprint(br#"{ "b":2, "a":1 }"#))
            .await
        {
            Begin::Replay(a) => assert_eq!(a.status, 200),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn released_keys_can_be_claimed_again() {
        let s = store();
        let Begin::Fresh(claim) = s.begin("g", "t", "k", "f".into()).await else {
            panic!("fresh")
        };
        s.release(claim).await;
        assert!(matches!(
            s.begin("g", "t", "k", "f".into()).await,
            Begin::Fresh(_)
        ));
    }

    #[test]
    fn keys_are_checked() {
        assert!(key_is_valid("5b0e3c8e-1"));
        assert!(!key_is_valid(""));
        assert!(!key_is_valid(&"x".repeat(256)));
        assert!(!key_is_valid("a\nb"));
    }
}
