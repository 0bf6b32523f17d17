//! Per-tenant fairness: a cap on requests being served at once and a token bucket on their
//! rate, so one provider's batch cannot starve the others or exhaust Urssaf's patience.
//! Checked once per request, without waiting: over the limit, the caller gets a 429.

use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

#[derive(Debug)]
pub struct TenantLimiter {
    concurrency: Option<(u32, Arc<Semaphore>)>,
    bucket: Option<Mutex<Bucket>>,
    rate: u32,
    burst: u32,
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
        }
    }

    pub fn admit(&self) -> Result<Admission, Refusal> {
        if let Some(bucket) = &self.bucket {
            let mut b = bucket.lock();
            let now = Instant::now();
            let refill = now.duration_since(b.at).as_secs_f64() * f64::from(self.rate);
            b.tokens = (b.tokens + refill).min(f64::from(self.burst));
            b.at = now;
            if b.tokens < 1.0 {
                let wait = (1.0 - b.tokens) / f64::from(self.rate);
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
}
