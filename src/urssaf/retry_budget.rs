//! A retry budget per Urssaf host, as in Finagle (`RetryBudget`) and Envoy (`retry_budget`):
//! over the last [`WINDOW_SECONDS`], retries may add at most `percent` % of the calls made, plus
//! a small floor of `min_per_second` retries per second so that a quiet gateway can still retry.
//! However many attempts a call may make, retrying cannot then multiply the load on an Urssaf
//! that is struggling: at most `1 + percent / 100` attempts per call on average, floor aside.

use std::time::Instant;

use parking_lot::Mutex;

use super::window::Window;

/// How far back calls and retries are counted.
pub const WINDOW_SECONDS: u64 = 10;

pub struct RetryBudget {
    percent: u64,
    floor: u64,
    /// (calls, retries) per second.
    window: Mutex<Window>,
}

impl RetryBudget {
    pub fn new(percent: u32, min_per_second: u32, now: Instant) -> RetryBudget {
        RetryBudget {
            percent: u64::from(percent),
            floor: u64::from(min_per_second) * WINDOW_SECONDS,
            window: Mutex::new(Window::new(WINDOW_SECONDS, now)),
        }
    }

    /// A call starts (its first attempt): it adds to what retries may spend.
    pub fn deposit(&self, now: Instant) {
        self.window.lock().add(now, 1, 0);
    }

    /// Takes one retry from the budget; `false` when it is spent (the retry must not be made).
    pub fn withdraw(&self, now: Instant) -> bool {
        let mut w = self.window.lock();
        let (calls, retries) = w.totals(now);
        let allowed = (retries + 1) * 100 <= self.percent * calls + self.floor * 100;
        if allowed {
            w.add(now, 0, 1);
        }
        allowed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn retries_stay_under_the_share_of_calls_plus_the_floor() {
        let t0 = Instant::now();
        let b = RetryBudget::new(20, 1, t0);
        // The floor alone: 1 per second over 10 s.
        assert_eq!((0..20).filter(|_| b.withdraw(t0)).count(), 10);
        // 100 calls add 20 retries.
        (0..100).for_each(|_| b.deposit(t0));
        assert_eq!((0..50).filter(|_| b.withdraw(t0)).count(), 20);
        assert!(!b.withdraw(t0));
    }

    #[test]
    fn spent_retries_come_back_when_they_leave_the_window() {
        let t0 = Instant::now();
        let b = RetryBudget::new(50, 0, t0);
        (0..10).for_each(|_| b.deposit(t0));
        assert_eq!((0..10).filter(|_| b.withdraw(t0)).count(), 5);
        let later = t0 + Duration::from_secs(WINDOW_SECONDS);
        assert!(!b.withdraw(later), "the calls left with the retries");
        (0..2).for_each(|_| b.deposit(later));
        assert!(b.withdraw(later));
        assert!(!b.withdraw(later));
    }

    #[test]
    fn zero_allows_no_retry_beyond_the_floor() {
        let t0 = Instant::now();
        let b = RetryBudget::new(0, 0, t0);
        (0..1000).for_each(|_| b.deposit(t0));
        assert!(!b.withdraw(t0));
    }
}
