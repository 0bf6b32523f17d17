//! Records kept in this process: all of them without Redis, and with Redis the claims and
//! answers decided here while it could not be reached (looked at first by `begin`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::{judge, Begin, Claim, Record};

#[derive(Clone)]
pub(super) struct Memory {
    records: Arc<Mutex<HashMap<String, (Record, Instant)>>>,
    last_sweep: Arc<Mutex<Instant>>,
}

impl Memory {
    pub(super) fn new() -> Self {
        Memory {
            records: Arc::new(Mutex::new(HashMap::new())),
            last_sweep: Arc::new(Mutex::new(Instant::now())),
        }
    }

    /// The live record under `key`, judged against the request's fingerprint.
    pub(super) fn judge(&self, key: &str, fingerprint: &str) -> Option<Begin> {
        let mem = self.records.lock();
        match mem.get(key) {
            Some((record, until)) if *until > Instant::now() => {
                Some(judge(record.clone(), fingerprint))
            }
            _ => None,
        }
    }

    /// Writes `claim_record` under `key` for `ttl` unless a live record holds it, which is
    /// then judged; `None` means claimed.
    pub(super) fn claim(
        &self,
        key: &str,
        claim_record: Record,
        fingerprint: &str,
        ttl: Duration,
    ) -> Option<Begin> {
        let mut mem = self.records.lock();
        let now = Instant::now();
        // Expired records go in one sweep per second at most, whatever the traffic.
        let mut last_sweep = self.last_sweep.lock();
        if now.duration_since(*last_sweep) >= Duration::from_secs(1) {
            mem.retain(|_, (_, until)| *until > now);
            *last_sweep = now;
        }
        drop(last_sweep);
        match mem.get(key) {
            Some((record, until)) if *until > now => Some(judge(record.clone(), fingerprint)),
            _ => {
                mem.insert(key.to_string(), (claim_record, now + ttl));
                None
            }
        }
    }

    /// Drops the claim's in-flight record, if it is still this claim's.
    pub(super) fn forget(&self, claim: &Claim) {
        let mut mem = self.records.lock();
        let ours = matches!(
            mem.get(&claim.key),
            Some((Record::InFlight { owner, .. }, _)) if *owner == claim.owner
        );
        if ours {
            mem.remove(&claim.key);
        }
    }

    /// Writes `replace` (or the claim's in-flight record again) for `ttl`, unless another
    /// run's claim or a live answer holds the key.
    pub(super) fn keep(&self, claim: &Claim, replace: Option<Record>, ttl: Duration) {
        let mut mem = self.records.lock();
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
