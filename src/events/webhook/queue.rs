//! The queue in Redis, shared by the replicas. Per tenant, under the tenant's hash tag (one
//! Cluster slot, so each script below may touch all of its keys):
//!
//! - `wh:stream`: a stream of delivery ids read through the consumer group `webhooks`; an
//!   entry is acknowledged and deleted once its attempt is recorded, and an entry left
//!   pending longer than `events.webhook_visibility_seconds` (its replica died) is taken over
//!   with `XAUTOCLAIM`;
//! - `wh:d:<id>`: the delivery (message, status, tries), whose existence deduplicates;
//!   `wh:a:<id>`: its attempts, appended;
//! - `wh:retry`: ids waiting for a retry, scored by when it is due; moved back into the
//!   stream when due;
//! - `wh:pending`, `wh:delivered`, `wh:failed`: ids by status, scored by last change, for
//!   listing.

use std::collections::HashMap;

use bytes::Bytes;

use super::record::{Attempt, Delivery, DeliveryPage, ListCursor, Outcome, Status};
use super::WebhookMessage;
use crate::redis_store::{RedisStore, Script, Unavailable};

const GROUP: &str = "webhooks";

const ENQUEUE: &str = r"
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'ts', ARGV[2], 'body', ARGV[3], 'status', 'pending',
  'tries', 0, 'created', ARGV[4], 'updated', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('XADD', KEYS[2], '*', 'id', ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1])
return 1
";

/// KEYS: stream, retry, pending. ARGV: group, consumer, count, now, min idle ms, cursor,
/// forget ms (0 = not this time).
/// Returns {pending count, next cursor, entry id, delivery id, …}.
/// With a forget time, the group's other consumers with nothing pending and idle longer than it
/// are deleted: every replica start adds a consumer, and a stopped replica's would stay in the
/// group for good. (A live one deleted this way is created again by its next read.)
const CLAIM: &str = r"
pcall(redis.call, 'XGROUP', 'CREATE', KEYS[1], ARGV[1], '0', 'MKSTREAM')
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[4], 'LIMIT', 0, 100)
for _, id in ipairs(due) do
  redis.call('ZREM', KEYS[2], id)
  redis.call('XADD', KEYS[1], '*', 'id', id)
end
local out = {tostring(redis.call('ZCARD', KEYS[3])), '0'}
local want = tonumber(ARGV[3])
local taken = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[5], ARGV[6], 'COUNT', want)
out[2] = taken[1]
for _, e in ipairs(taken[2]) do
  if e and e[2] and e[2][2] then
    table.insert(out, e[1]); table.insert(out, e[2][2])
  elseif e and e[1] then
    redis.call('XACK', KEYS[1], ARGV[1], e[1])
  end
end
local left = want - (#out - 2) / 2
if left > 0 then
  local read = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', left, 'STREAMS', KEYS[1], '>')
  if read then
    for _, e in ipairs(read[1][2]) do
      table.insert(out, e[1]); table.insert(out, e[2][2])
    end
  end
end
local forget = tonumber(ARGV[7])
if forget > 0 then
  for _, c in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
    local f = {}
    for i = 1, #c, 2 do f[c[i]] = c[i + 1] end
    if f['name'] ~= ARGV[2] and f['pending'] == 0 and f['idle'] > forget then
      redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], f['name'])
    end
  end
end
return out
";

/// KEYS: record, attempts, stream, retry, pending, delivered, failed.
/// ARGV: group, entry id, delivery id, now, outcome of the attempt (1 ok, 0 failed, 2 gone:
/// no retry), attempt JSON, retention ms, waits….
const FINISH: &str = r"
redis.call('XACK', KEYS[3], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[3], ARGV[2])
if redis.call('EXISTS', KEYS[1]) == 0 then return 'gone' end
local now, keep = tonumber(ARGV[4]), tonumber(ARGV[7])
redis.call('RPUSH', KEYS[2], ARGV[6])
redis.call('PEXPIRE', KEYS[2], keep)
redis.call('PEXPIRE', KEYS[1], keep)
redis.call('HSET', KEYS[1], 'updated', now)
if redis.call('HGET', KEYS[1], 'status') ~= 'pending' then return 'done' end
local tries = redis.call('HINCRBY', KEYS[1], 'tries', 1)
redis.call('HDEL', KEYS[1], 'next')
local outcome
if ARGV[5] == '1' then
  outcome = 'delivered'
elseif ARGV[5] == '0' and tries <= #ARGV - 7 then
  local due = now + tonumber(ARGV[7 + tries])
  redis.call('HSET', KEYS[1], 'next', due)
  redis.call('ZADD', KEYS[4], due, ARGV[3])
  redis.call('ZADD', KEYS[5], now, ARGV[3])
  return 'retried'
else
  outcome = 'failed'
end
redis.call('HSET', KEYS[1], 'status', outcome)
redis.call('ZREM', KEYS[5], ARGV[3])
local set = KEYS[6]
if outcome == 'failed' then set = KEYS[7] end
redis.call('ZADD', set, now, ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', now - keep)
redis.call('ZREMRANGEBYSCORE', KEYS[7], '-inf', now - keep)
return outcome
";

/// KEYS: record, stream, pending, delivered, failed. ARGV: id, now, retention ms.
/// Returns 0 unknown, 2 still pending, 1 queued again.
const REDELIVER: &str = r"
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if redis.call('HGET', KEYS[1], 'status') == 'pending' then return 2 end
redis.call('HSET', KEYS[1], 'status', 'pending', 'tries', 0, 'updated', ARGV[2])
redis.call('HDEL', KEYS[1], 'next')
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('ZREM', KEYS[4], ARGV[1])
redis.call('ZREM', KEYS[5], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
redis.call('XADD', KEYS[2], '*', 'id', ARGV[1])
return 1
";

pub struct RedisQueue {
    store: RedisStore,
    enqueue: Script,
    claim: Script,
    finish: Script,
    redeliver: Script,
}

/// A delivery taken from the stream: its entry (to acknowledge) and id.
pub struct Claimed {
    pub entry: String,
    pub id: String,
}

impl RedisQueue {
    pub fn new(store: RedisStore) -> RedisQueue {
        RedisQueue {
            store,
            enqueue: Script::new(ENQUEUE),
            claim: Script::new(CLAIM),
            finish: Script::new(FINISH),
            redeliver: Script::new(REDELIVER),
        }
    }

    fn key(&self, tenant: &str, part: &str) -> String {
        self.store.tenant_key(tenant, &["wh", part])
    }

    fn record_key(&self, tenant: &str, id: &str) -> String {
        self.store.tenant_key(tenant, &["wh", "d", id])
    }

    fn attempts_key(&self, tenant: &str, id: &str) -> String {
        self.store.tenant_key(tenant, &["wh", "a", id])
    }

    pub async fn enqueue(
        &self,
        tenant: &str,
        m: &WebhookMessage,
        now: i64,
        retention_ms: i64,
    ) -> Result<bool, Unavailable> {
        let body = String::from_utf8_lossy(&m.body);
        let keys = [
            self.record_key(tenant, &m.id),
            self.key(tenant, "stream"),
            self.key(tenant, "pending"),
        ];
        let args = [
            m.id.clone(),
            m.timestamp.to_string(),
            body.into_owned(),
            now.to_string(),
            retention_ms.to_string(),
        ];
        let added: i64 = self
            .store
            .run_script(&self.enqueue, &refs(&keys), &refs(&args))
            .await?;
        Ok(added == 1)
    }

    /// Up to `n` deliveries for `consumer`: retries now due are queued again, entries left by
    /// a dead replica taken over, then new ones read. Also: pending count and next cursor.
    #[allow(clippy::too_many_arguments)]
    pub async fn claim(
        &self,
        tenant: &str,
        consumer: &str,
        n: usize,
        now: i64,
        min_idle_ms: u64,
        cursor: &str,
        forget_ms: u64,
    ) -> Result<(Vec<Claimed>, usize, String), Unavailable> {
        let keys = [
            self.key(tenant, "stream"),
            self.key(tenant, "retry"),
            self.key(tenant, "pending"),
        ];
        let args = [
            GROUP.to_string(),
            consumer.to_string(),
            n.max(1).to_string(),
            now.to_string(),
            min_idle_ms.to_string(),
            cursor.to_string(),
            forget_ms.to_string(),
        ];
        let out: Vec<String> = self
            .store
            .run_script(&self.claim, &refs(&keys), &refs(&args))
            .await?;
        let pending = out.first().and_then(|s| s.parse().ok()).unwrap_or(0);
        let next = out.get(1).cloned().unwrap_or_else(|| "0".into());
        let claimed = out
            .get(2..)
            .unwrap_or_default()
            .chunks_exact(2)
            .map(|c| Claimed {
                entry: c[0].clone(),
                id: c[1].clone(),
            })
            .collect();
        Ok((claimed, pending, next))
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn finish(
        &self,
        tenant: &str,
        claimed: &Claimed,
        attempt: &Attempt,
        waits: &[i64],
        now: i64,
        retention_ms: i64,
    ) -> Result<Outcome, Unavailable> {
        let id = &claimed.id;
        let keys = [
            self.record_key(tenant, id),
            self.attempts_key(tenant, id),
            self.key(tenant, "stream"),
            self.key(tenant, "retry"),
            self.key(tenant, "pending"),
            self.key(tenant, "delivered"),
            self.key(tenant, "failed"),
        ];
        let mut args = vec![
            GROUP.to_string(),
            claimed.entry.clone(),
            id.clone(),
            now.to_string(),
            if attempt.succeeded() {
                "1"
            } else if attempt.gone() {
                "2"
            } else {
                "0"
            }
            .to_string(),
            serde_json::to_string(attempt).unwrap_or_default(),
            retention_ms.to_string(),
        ];
        args.extend(waits.iter().map(i64::to_string));
        let out: String = self
            .store
            .run_script(&self.finish, &refs(&keys), &refs(&args))
            .await?;
        Ok(Outcome::parse(&out))
    }

    /// Drops an entry with nothing to deliver (its delivery expired or is no longer pending).
    pub async fn ack(&self, tenant: &str, claimed: &Claimed) -> Result<(), Unavailable> {
        let stream = self.key(tenant, "stream");
        let mut xack = redis::cmd("XACK");
        xack.arg(&stream).arg(GROUP).arg(&claimed.entry);
        self.store.run::<i64>(&xack).await?;
        let mut xdel = redis::cmd("XDEL");
        xdel.arg(&stream).arg(&claimed.entry);
        self.store.run::<i64>(&xdel).await?;
        Ok(())
    }

    pub async fn get(&self, tenant: &str, id: &str) -> Result<Option<Delivery>, Unavailable> {
        let Some(mut d) = self.get_message(tenant, id).await? else {
            return Ok(None);
        };
        let mut lrange = redis::cmd("LRANGE");
        lrange.arg(self.attempts_key(tenant, id)).arg(0).arg(-1);
        let attempts: Vec<String> = self.store.run(&lrange).await?;
        d.attempts = attempts
            .iter()
            .filter_map(|a| serde_json::from_str(a).ok())
            .collect();
        Ok(Some(d))
    }

    /// The delivery without its attempts: what an attempt needs, in one command.
    pub async fn get_message(
        &self,
        tenant: &str,
        id: &str,
    ) -> Result<Option<Delivery>, Unavailable> {
        let mut hgetall = redis::cmd("HGETALL");
        hgetall.arg(self.record_key(tenant, id));
        let fields: HashMap<String, String> = self.store.run(&hgetall).await?;
        if fields.is_empty() {
            return Ok(None);
        }
        let num = |k: &str| fields.get(k).and_then(|v| v.parse::<i64>().ok());
        Ok(Some(Delivery {
            id: id.to_string(),
            event_timestamp: num("ts").unwrap_or(0),
            body: Bytes::from(fields.get("body").cloned().unwrap_or_default()),
            status: fields
                .get("status")
                .and_then(|s| Status::parse(s))
                .unwrap_or(Status::Pending),
            tries: num("tries").unwrap_or(0) as u32,
            next_attempt_ms: num("next"),
            created_ms: num("created").unwrap_or(0),
            updated_ms: num("updated").unwrap_or(0),
            attempts: Vec::new(),
        }))
    }

    /// The most recently changed deliveries in `status` after `after`, newest first (the
    /// set's score is when each last changed); ids whose record has expired are dropped from
    /// the index.
    pub async fn list(
        &self,
        tenant: &str,
        status: Status,
        limit: usize,
        after: Option<&ListCursor>,
    ) -> Result<DeliveryPage, Unavailable> {
        let set = self.key(tenant, status.as_str());
        let max = after.map_or("+inf".to_string(), |c| c.changed_ms.to_string());
        // One more than asked, to tell whether a page follows; a few more for the entries of
        // the cursor's own millisecond that come before it.
        let batch = limit + 17;
        let mut ids: Vec<(String, i64)> = Vec::new();
        let mut offset = 0;
        loop {
            let mut range = redis::cmd("ZREVRANGEBYSCORE");
            range.arg(&set).arg(&max).arg("-inf").arg("WITHSCORES");
            range.arg("LIMIT").arg(offset).arg(batch);
            let got: Vec<(String, f64)> = self.store.run(&range).await?;
            let n = got.len();
            for (id, score) in got {
                let ms = score as i64;
                if after.is_none_or(|c| c.before(ms, &id)) {
                    ids.push((id, ms));
                }
            }
            if ids.len() > limit || n < batch {
                break;
            }
            offset += n;
        }
        let more = ids.len() > limit;
        ids.truncate(limit);
        let mut page = DeliveryPage::default();
        for (id, ms) in ids {
            match self.get(tenant, &id).await? {
                Some(d) => {
                    page.next = Some(ListCursor::of(&d, ms));
                    page.deliveries.push(d);
                }
                None => {
                    let mut zrem = redis::cmd("ZREM");
                    zrem.arg(&set).arg(&id);
                    self.store.run::<i64>(&zrem).await?;
                }
            }
        }
        if !more {
            page.next = None;
        }
        Ok(page)
    }

    pub async fn redeliver(
        &self,
        tenant: &str,
        id: &str,
        now: i64,
        retention_ms: i64,
    ) -> Result<Option<bool>, Unavailable> {
        let keys = [
            self.record_key(tenant, id),
            self.key(tenant, "stream"),
            self.key(tenant, "pending"),
            self.key(tenant, "delivered"),
            self.key(tenant, "failed"),
        ];
        let args = [id.to_string(), now.to_string(), retention_ms.to_string()];
        let r: i64 = self
            .store
            .run_script(&self.redeliver, &refs(&keys), &refs(&args))
            .await?;
        Ok(match r {
            0 => None,
            2 => Some(false),
            _ => Some(true),
        })
    }
}

fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}
