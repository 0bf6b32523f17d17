//! `Idempotency-Key`: the first definite answer is kept per tenant and key and replayed for
//! the same body; a concurrent duplicate is told so and never reaches Urssaf.
//!
//! Records live in Redis when configured (shared by replicas), else in process memory; a
//! Redis failure falls back to memory for that request rather than failing it. A claim names
//! its owner, so only the run that made it renews, completes or releases it. An answer (or a
//! release) that could not be written because Redis was away is written once it is back, so
//! replicas agree again after an outage or a failover.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

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

/// While the key holds this claim's record (ARGV[1]): `SET key ARGV[2] PX ARGV[3]`, or
/// `PEXPIRE` when ARGV[2] is empty, or `DEL` when ARGV[3] is 0. When the key has vanished
/// (evicted, lost in a failover), the claim or the answer is written again rather than lost.
/// Returns 1 done, 0 held by another run, -1 written again after it had vanished.
const IF_OWNED: &str = r#"
local v = redis.call("GET", KEYS[1])
if v == false then
  if ARGV[3] == "0" then return -1 end
  if ARGV[2] == "" then redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[3]) return -1 end
  redis.call("SET", KEYS[1], ARGV[2], "PX", ARGV[3])
  return -1
end
if v ~= ARGV[1] then return 0 end
if ARGV[3] == "0" then return redis.call("DEL", KEYS[1]) end
if ARGV[2] == "" then return redis.call("PEXPIRE", KEYS[1], ARGV[3]) end
redis.call("SET", KEYS[1], ARGV[2], "PX", ARGV[3])
return 1
"#;

/// Longest a record is kept (configuration is checked against it).
pub const MAX_TTL: Duration = Duration::from_secs(30 * 24 * 3600);

#[derive(Clone)]
pub struct IdempotencyStore {
    redis: Option<RedisStore>,
    memory: Arc<Mutex<HashMap<String, (Record, Instant)>>>,
    last_sweep: Arc<Mutex<Instant>>,
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
            memory: Arc::new(Mutex::new(HashMap::new())),
            last_sweep: Arc::new(Mutex::new(Instant::now())),
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
        if let Some(found) = self.in_memory(&skey, &fingerprint) {
            return found;
        }
        if let Some(redis) = &self.redis {
            let set = redis::cmd("SET")
                .arg(&skey)
                .arg(&json)
                .arg("NX")
                .arg("PX")
                .arg(self.in_flight_ttl.as_millis() as u64)
                .clone();
            match redis.run::<Option<String>>(&set).await {
                Ok(Some(_)) => {
                    return Begin::Fresh(Claim {
                        key: skey,
                        fingerprint,
                        record: json,
                        owner,
                        in_redis: true,
                    })
                }
                Ok(None) => {
                    if let Ok(Some(existing)) = redis
                        .run::<Option<String>>(redis::cmd("GET").arg(&skey))
                        .await
                    {
                        if let Ok(record) = serde_json::from_str::<Record>(&existing) {
                            return judge(record, &fingerprint);
                        }
                    }
                    // The record vanished between SET and GET (expired): be safe, say busy.
                    return Begin::InFlight;
                }
                Err(_) => {} // degrade to memory below
            }
        }
        let mut mem = self.memory.lock();
        let now = Instant::now();
        // Expired records go in one sweep per second at most, whatever the traffic.
        let mut last_sweep = self.last_sweep.lock();
        if now.duration_since(*last_sweep) >= Duration::from_secs(1) {
            mem.retain(|_, (_, until)| *until > now);
            *last_sweep = now;
        }
        drop(last_sweep);
        match mem.get(&skey) {
            Some((record, until)) if *until > now => judge(record.clone(), &fingerprint),
            _ => {
                mem.insert(skey.clone(), (claim_record, now + self.in_flight_ttl));
                Begin::Fresh(Claim {
                    key: skey,
                    fingerprint,
                    record: json,
                    owner,
                    in_redis: false,
                })
            }
        }
    }

    fn in_memory(&self, skey: &str, fingerprint: &str) -> Option<Begin> {
        let mem = self.memory.lock();
        match mem.get(skey) {
            Some((record, until)) if *until > Instant::now() => {
                Some(judge(record.clone(), fingerprint))
            }
            _ => None,
        }
    }

    /// Keeps a running request's claim alive past the in-flight TTL.
    pub async fn renew(&self, claim: &Claim) {
        let ttl = self.in_flight_ttl.as_millis().to_string();
        if self.owned_redis(claim, "", &ttl).await.is_none() {
            self.owned_memory(claim, None, self.in_flight_ttl);
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
            self.forget_own_memory_claim(&claim);
        } else {
            // Redis unusable: keep the answer here (looked at first by `begin`), and in Redis
            // once it answers again.
            self.owned_memory(&claim, Some(record), self.ttl);
            self.write_later(claim, json, ttl);
        }
    }

    /// Tries `owned_redis` again every `redis.retry_after_ms` for up to the in-flight TTL
    /// (after that, a claim another replica saw has expired anyway). Also for claims made in
    /// memory: the script writes the record where the key is free and leaves another run's.
    fn write_later(&self, mut claim: Claim, value: String, ttl_ms: String) {
        let Some(redis) = &self.redis else { return };
        claim.in_redis = true;
        let every = redis.retry_after().max(Duration::from_millis(50));
        let until = Instant::now() + self.in_flight_ttl;
        let store = self.clone();
        tokio::spawn(async move {
            while Instant::now() < until {
                tokio::time::sleep(every).await;
                if store.owned_redis(&claim, &value, &ttl_ms).await.is_some() {
                    return;
                }
            }
        });
    }

    fn forget_own_memory_claim(&self, claim: &Claim) {
        let mut mem = self.memory.lock();
        let ours = matches!(
            mem.get(&claim.key),
            Some((Record::InFlight { owner, .. }, _)) if *owner == claim.owner
        );
        if ours {
            mem.remove(&claim.key);
        }
    }

    /// Frees the key when no definite answer exists (Urssaf unreachable, outcome unknown),
    /// so a retry with the same key can proceed.
    pub async fn release(&self, claim: Claim) {
        self.forget_own_memory_claim(&claim);
        if claim.in_redis && self.owned_redis(&claim, "", "0").await.is_none() {
            self.write_later(claim, String::new(), "0".into());
        }
    }

    /// `Some` when Redis answered (whether or not the claim was still ours).
    async fn owned_redis(&self, claim: &Claim, value: &str, ttl_ms: &str) -> Option<()> {
        let redis = self.redis.as_ref().filter(|_| claim.in_redis)?;
        redis
            .run_script::<i64>(
                &self.if_owned,
                &[&claim.key],
                &[&claim.record, value, ttl_ms],
            )
            .await
            .ok()
            .map(|_| ())
    }

    fn owned_memory(&self, claim: &Claim, replace: Option<Record>, ttl: Duration) {
        let mut mem = self.memory.lock();
        let now = Instant::now();
        let ours = match mem.get(&claim.key) {
            Some((Record::InFlight { owner, .. }, _)) => *owner == claim.owner,
            Some((Record::Done { .. }, until)) => *until <= now,
            None => true,
        };
        if ours {
            let record = replace.unwrap_or_else(|| Record::InFlight {
                fingerprint: claim.fingerprint.clone(),
                owner: claim.owner.clone(),
            });
            mem.insert(claim.key.clone(), (record, now + ttl));
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
