//! A circuit breaker per Urssaf host: after a run of consecutive failures (no answer, 429,
//! 5xx), calls fail fast with 503 + `Retry-After` for a while instead of each waiting for its
//! timeout; then one call probes, and its outcome closes or reopens the breaker.

use std::time::{Duration, Instant};

use parking_lot::Mutex;

pub struct Breaker {
    threshold: u32,
    open_for: Duration,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    consecutive_failures: u32,
    open_until: Option<Instant>,
    /// When the current probe went out, while the breaker is half open. A probe that never
    /// reports (its caller went away) stops counting after one open period.
    probing: Option<Instant>,
}

impl Breaker {
    /// `threshold` 0 disables the breaker.
    pub fn new(threshold: u32, open_for: Duration) -> Breaker {
        Breaker {
            threshold,
            open_for,
            state: Mutex::new(State::default()),
        }
    }

    /// `Err(wait)` while open: the call must not be made.
    pub fn allow(&self) -> Result<(), Duration> {
        if self.threshold == 0 {
            return Ok(());
        }
        let mut s = self.state.lock();
        match s.open_until {
            None => Ok(()),
            Some(until) => {
                let now = Instant::now();
                if now < until {
                    Err(until - now)
                } else if s
                    .probing
                    .is_some_and(|t| now.duration_since(t) < self.open_for)
                {
                    Err(Duration::from_secs(1))
                } else {
                    s.probing = Some(now);
                    Ok(())
                }
            }
        }
    }

    /// Urssaf answered (whatever it said about the request itself).
    pub fn succeeded(&self) {
        let mut s = self.state.lock();
        if s.open_until.is_some() {
            tracing::info!("urssaf answers again; circuit closed");
        }
        *s = State::default();
    }

    /// No usable answer: no connection, a timeout, 429 or a 5xx.
    pub fn failed(&self) {
        if self.threshold == 0 {
            return;
        }
        let mut s = self.state.lock();
        s.consecutive_failures = s.consecutive_failures.saturating_add(1);
        if s.probing.is_some() || s.consecutive_failures >= self.threshold {
            if s.open_until.is_none() || s.probing.is_some() {
                tracing::warn!(
                    failures = s.consecutive_failures,
                    open_seconds = self.open_for.as_secs(),
                    "urssaf keeps failing; circuit open, calls fail fast"
                );
            }
            s.open_until = Some(Instant::now() + self.open_for);
            s.probing = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_the_threshold_then_probes_once() {
        let b = Breaker::new(3, Duration::from_millis(50));
        for _ in 0..2 {
            b.failed();
            assert!(b.allow().is_ok());
        }
        b.failed();
        assert!(b.allow().is_err(), "open after 3 failures");
        std::thread::sleep(Duration::from_millis(60));
        assert!(b.allow().is_ok(), "one probe once the period is over");
        assert!(b.allow().is_err(), "only one probe at a time");
        b.failed();
        assert!(b.allow().is_err(), "a failed probe reopens");
        std::thread::sleep(Duration::from_millis(60));
        assert!(b.allow().is_ok());
        b.succeeded();
        assert!(b.allow().is_ok() && b.allow().is_ok(), "closed again");
    }

    #[test]
    fn a_probe_that_never_reports_does_not_block_forever() {
        let b = Breaker::new(1, Duration::from_millis(40));
        b.failed();
        std::thread::sleep(Duration::from_millis(50));
        assert!(b.allow().is_ok(), "probe");
        assert!(b.allow().is_err());
        // The probe's caller went away without a word; after a period another probe goes.
        std::thread::sleep(Duration::from_millis(50));
        assert!(b.allow().is_ok());
    }

    #[test]
    fn a_success_resets_the_count_and_zero_disables() {
        let b = Breaker::new(2, Duration::from_secs(60));
        b.failed();
        b.succeeded();
        b.failed();
        assert!(b.allow().is_ok());
        let off = Breaker::new(0, Duration::from_secs(60));
        for _ in 0..10 {
            off.failed();
        }
        assert!(off.allow().is_ok());
    }
}
