//! Records in Redis, shared by replicas: the claim is one `SET NX`, and every later write
//! goes through a script that checks the claim still owns the key.

use std::time::{Duration, Instant};

use super::{judge, Begin, Claim, IdempotencyStore, Record};

/// While the key holds this claim's record (ARGV[1]): `SET key ARGV[2] PX ARGV[3]`, or
/// `PEXPIRE` when ARGV[2] is empty, or `DEL` when ARGV[3] is 0. When the key has vanished
/// (evicted, lost in a failover), the claim or the answer is written again rather than lost.
/// Returns 1 done, 0 held by another run, -1 written again after it had vanished.
pub(super) const IF_OWNED: &str = r#"
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

/// No Redis configured, or it did not answer: memory takes over for this request.
pub(super) struct RedisAway;

impl IdempotencyStore {
    /// Writes the in-flight record `json` under `key` unless one is there, which is then
    /// judged against `fingerprint`; `Ok(None)` means claimed.
    pub(super) async fn claim_in_redis(
        &self,
        key: &str,
        json: &str,
        fingerprint: &str,
    ) -> Result<Option<Begin>, RedisAway> {
        let redis = self.redis.as_ref().ok_or(RedisAway)?;
        let set = redis::cmd("SET")
            .arg(key)
            .arg(json)
            .arg("NX")
            .arg("PX")
            .arg(self.in_flight_ttl.as_millis() as u64)
            .clone();
        match redis.run::<Option<String>>(&set).await {
            Ok(Some(_)) => Ok(None),
            Ok(None) => {
                if let Ok(Some(existing)) = redis
                    .run::<Option<String>>(redis::cmd("GET").arg(key))
                    .await
                {
                    if let Ok(record) = serde_json::from_str::<Record>(&existing) {
                        return Ok(Some(judge(record, fingerprint)));
                    }
                }
                // The record vanished between SET and GET (expired): be safe, say busy.
                Ok(Some(Begin::InFlight))
            }
            Err(_) => Err(RedisAway),
        }
    }

    /// `Some` when Redis answered (whether or not the claim was still ours).
    pub(super) async fn owned_redis(&self, claim: &Claim, value: &str, ttl_ms: &str) -> Option<()> {
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

    /// Tries `owned_redis` again every `redis.retry_after_ms` for up to the in-flight TTL
    /// (after that, a claim another replica saw has expired anyway). Also for claims made in
    /// memory: the script writes the record where the key is free and leaves another run's.
    pub(super) fn write_later(&self, mut claim: Claim, value: String, ttl_ms: String) {
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
}
