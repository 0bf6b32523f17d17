//! Two counters over a sliding window of whole seconds (one bucket per second), shared by the
//! circuit breaker (calls, failures) and the retry budget (calls, retries). Time is passed in,
//! so tests drive it without sleeping.

use std::time::{Duration, Instant};

pub struct Window {
    origin: Instant,
    /// `(second since origin, first counter, second counter)`; a bucket whose second is not
    /// within the window counts as empty.
    buckets: Vec<(u64, u64, u64)>,
}

impl Window {
    /// `seconds` is clamped to at least 1.
    pub fn new(seconds: u64, origin: Instant) -> Window {
        Window {
            origin,
            buckets: vec![(u64::MAX, 0, 0); seconds.max(1) as usize],
        }
    }

    pub fn span(&self) -> Duration {
        Duration::from_secs(self.buckets.len() as u64)
    }

    fn second(&self, now: Instant) -> u64 {
        now.saturating_duration_since(self.origin).as_secs()
    }

    pub fn add(&mut self, now: Instant, a: u64, b: u64) {
        let second = self.second(now);
        let len = self.buckets.len() as u64;
        let bucket = &mut self.buckets[(second % len) as usize];
        if bucket.0 != second {
            *bucket = (second, 0, 0);
        }
        bucket.1 += a;
        bucket.2 += b;
    }

    /// Both sums over the last `span` seconds, the current one included.
    pub fn totals(&self, now: Instant) -> (u64, u64) {
        let second = self.second(now);
        let len = self.buckets.len() as u64;
        self.buckets
            .iter()
            .filter(|(s, _, _)| *s != u64::MAX && *s <= second && second - *s < len)
            .fold((0, 0), |(a, b), (_, x, y)| (a + x, b + y))
    }

    pub fn clear(&mut self) {
        self.buckets.iter_mut().for_each(|b| *b = (u64::MAX, 0, 0));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_slide_out_after_the_span() {
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_millis(s * 1000 + 500);
        let mut w = Window::new(3, t0);
        w.add(at(0), 1, 0);
        w.add(at(1), 2, 1);
        w.add(at(2), 4, 2);
        assert_eq!(w.totals(at(2)), (7, 3));
        assert_eq!(w.totals(at(3)), (6, 3), "second 0 left the window");
        w.add(at(3), 8, 0);
        assert_eq!(w.totals(at(3)), (14, 3));
        assert_eq!(w.totals(at(10)), (0, 0));
        w.clear();
        assert_eq!(w.totals(at(3)), (0, 0));
    }
}
