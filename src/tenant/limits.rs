//! Per-tenant fairness: a cap on requests being served at once and a token bucket on their
//! rate, so one provider's batch cannot starve the others or exhaust Urssaf's patience.
//! Checked once per request, without waiting: over the limit, the caller gets a 429.
//!
//! The rate is the fleet's: each replica applies `rate / N` and `burst / N`, N being the live
//! replica count kept by [`crate::fleet`] (read from memory, no Redis command per request).
//! The bucket holds fractions of a token, so a small rate still works (1/s on 3 replicas: a
//! call every 3 s on each); the burst share is at least one call. The concurrency cap stays
//! per replica.

use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::fleet::FleetSize;

#[derive(Debug)]
pub struct TenantLimiter {
    concurrency: Option<(u32, Arc<Semaphore>)>,
    bucket: Option<Mutex<Bucket>>,
    rate: u32,
    burst: u32,
    fleet: FleetSize,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Held while a request is served.
#[derive(Debug)]
pub struct Admission {
    _permit: Option<OwnedSemaphorePermit>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// As many requests as allowed are being served.
    Busy,
    /// The rate is exceeded: a token comes back after this long.
    TooFast(Duration),
}

impl TenantLimiter {
    /// `concurrency`, `rate` (per second): 0 = no limit; `burst` 0 = the rate itself.
    pub fn new(concurrency: u32, rate: u32, burst: u32) -> TenantLimiter {
        let burst = if burst == 0 { rate } else { burst };
        TenantLimiter {
            concurrency: (concurrency > 0)
                .then(|| (concurrency, Arc::new(Semaphore::new(concurrency as usize)))),
            bucket: (rate > 0).then(|| {
                Mutex::new(Bucket {
                    tokens: f64::from(burst),
                    at: Instant::now(),
                })
            }),
            rate,
            burst,
            fleet: FleetSize::default(),
        }
    }

    /// The rate and burst are split between the live replicas of `fleet`.
    pub fn shared_by(mut self, fleet: FleetSize) -> TenantLimiter {
        self.fleet = fleet;
        self
    }

    /// This replica's share of the rate (per second) and of the burst.
    fn share(&self) -> (f64, f64) {
        let n = f64::from(self.fleet.replicas());
        let rate = f64::from(self.rate) / n;
        (rate, (f64::from(self.burst) / n).max(1.0))
    }

    pub fn admit(&self) -> Result<Admission, Refusal> {
        if let Some(bucket) = &self.bucket {
            let (rate, burst) = self.share();
            let mut b = bucket.lock();
            let now = Instant::now();
            let refill = now.duration_since(b.at).as_secs_f64() * rate;
            b.tokens = (b.tokens + refill).min(burst);
            b.at = now;
            if b.tokens < 1.0 {
                let wait = (1.0 - b.tokens) / rate;
                return Err(Refusal::TooFast(Duration::from_secs_f64(wait)));
            }
            b.tokens -= 1.0;
        }
        let permit = match &self.concurrency {
            None => None,
            Some((_, s)) => Some(s.clone().try_acquire_owned().map_err(|_| Refusal::Busy)?),
        };
        Ok(Admission { _permit: permit })
    }

    /// Same limits (a reload keeps the limiter, and what it counts, when they did not change).
    pub fn same_limits(&self, other: &TenantLimiter) -> bool {
        self.concurrency.as_ref().map(|c| c.0) == other.concurrency.as_ref().map(|c| c.0)
            && self.rate == other.rate
            && self.burst == other.burst
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrency_is_capped_and_given_back() {
        let l = TenantLimiter::new(2, 0, 0);
        let a = l.admit().unwrap();
        let _b = l.admit().unwrap();
        assert_eq!(l.admit().unwrap_err(), Refusal::Busy);
        drop(a);
        assert!(l.admit().is_ok());
    }

    #[test]
    fn rate_allows_a_burst_then_says_when() {
        let l = TenantLimiter::new(0, 2, 3);
        for _ in 0..3 {
            assert!(l.admit().is_ok());
        }
        match l.admit() {
            Err(Refusal::TooFast(wait)) => assert!(wait <= Duration::from_millis(500), "{wait:?}"),
            other => panic!("{other:?}"),
        }
        let unlimited = TenantLimiter::new(0, 0, 0);
        for _ in 0..10_000 {
            assert!(unlimited.admit().is_ok());
        }
    }

    #[test]
    fn the_rate_is_split_between_replicas() {
        let fleet = FleetSize::default();
        fleet.set_for_tests(3);
        // Burst 50 on 3 replicas: 16 calls at once here (16.7 tokens).
        let l = TenantLimiter::new(0, 50, 50).shared_by(fleet.clone());
        let admitted = (0..100).filter(|_| l.admit().is_ok()).count();
        assert_eq!(admitted, 16);
        // Rate 1/s on 3 replicas: one call, then the next token in about 3 s.
        let slow = TenantLimiter::new(0, 1, 0).shared_by(fleet.clone());
        assert!(slow.admit().is_ok());
        match slow.admit() {
            Err(Refusal::TooFast(wait)) => {
                assert!(wait > Duration::from_millis(2900), "{wait:?}");
                assert!(wait <= Duration::from_secs(3), "{wait:?}");
            }
            other => panic!("{other:?}"),
        }
        // Two replicas gone: the whole rate here at once. About 2/3 of a token is left, so the
        // next one is about 1/3 token away: 6.7 ms at 50/s, 20 ms at the share of 3 replicas.
        fleet.set_for_tests(1);
        match l.admit() {
            Err(Refusal::TooFast(wait)) => assert!(wait < Duration::from_millis(10), "{wait:?}"),
            other => panic!("{other:?}"),
        }
    }
}
