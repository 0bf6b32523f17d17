//! Counting what a bounded in-memory store (the feed, the webhook queue without Redis) drops:
//! a metric for every item, a log line at most every [`LOG_EVERY`], so that a flood of drops
//! does not become a flood of log lines.

use std::time::{Duration, Instant};

use parking_lot::Mutex;
use prometheus::IntCounter;

const LOG_EVERY: Duration = Duration::from_secs(10);

pub struct Dropped {
    /// What is dropped, for the log (`events feed`, `webhook queue`).
    what: &'static str,
    /// The setting that bounds it.
    setting: &'static str,
    counter: IntCounter,
    /// Drops not logged yet, and when the last line was written.
    unlogged: Mutex<(u64, Option<Instant>)>,
}

impl Dropped {
    pub fn new(what: &'static str, setting: &'static str, counter: IntCounter) -> Dropped {
        Dropped {
            what,
            setting,
            counter,
            unlogged: Mutex::new((0, None)),
        }
    }

    /// `n` oldest items of `tenant` dropped to stay within `cap`.
    pub fn record(&self, tenant: &str, n: u64, cap: usize) {
        if n == 0 {
            return;
        }
        self.counter.inc_by(n);
        let mut u = self.unlogged.lock();
        u.0 += n;
        let now = Instant::now();
        if u.1.is_none_or(|at| now.duration_since(at) >= LOG_EVERY) {
            tracing::warn!(
                tenant,
                dropped = u.0,
                cap,
                setting = self.setting,
                "{} full without Redis: oldest items dropped (count since the last such line)",
                self.what
            );
            *u = (0, Some(now));
        }
    }
}
