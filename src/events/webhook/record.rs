//! What is kept of one delivery: the message, where it stands, and each attempt.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Waiting for its first attempt, in flight, or waiting for a retry.
    Pending,
    /// A 2xx answer was received.
    Delivered,
    /// Every attempt failed; it stays listed until redelivered or expired.
    Failed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Delivered => "delivered",
            Status::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        match s {
            "pending" => Some(Status::Pending),
            "delivered" => Some(Status::Delivered),
            "failed" => Some(Status::Failed),
            _ => None,
        }
    }
}

/// One HTTP attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    /// When it started, Unix milliseconds.
    pub at_ms: i64,
    /// The receiver's HTTP status, when it answered.
    pub status_code: Option<u16>,
    /// Why no answer counted (timeout, connection refused, target refused…).
    pub error: Option<String>,
    pub duration_ms: u64,
}

impl Attempt {
    pub fn succeeded(&self) -> bool {
        self.status_code.is_some_and(|c| (200..300).contains(&c))
    }

    /// The receiver answered `410 Gone`: it says this endpoint will never take the message,
    /// so the delivery fails at once instead of being retried for a day.
    pub fn gone(&self) -> bool {
        self.status_code == Some(410)
    }
}

/// One delivery as stored.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The message id (`webhook-id`).
    pub id: String,
    /// The event's time, Unix seconds.
    pub event_timestamp: i64,
    pub body: Bytes,
    pub status: Status,
    /// Attempts since the last (re)delivery request: what the retry schedule counts.
    pub tries: u32,
    /// When the next attempt is due (Unix ms), while waiting for a retry.
    pub next_attempt_ms: Option<i64>,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub attempts: Vec<Attempt>,
}

/// A place in a list of deliveries, most recently changed first: the last one listed, by
/// when it last changed and its id (ties broken by id, descending). Written
/// `<unix ms>-<id>`, opaque to callers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListCursor {
    pub changed_ms: i64,
    pub id: String,
}

impl ListCursor {
    pub fn of(d: &Delivery, changed_ms: i64) -> ListCursor {
        ListCursor {
            changed_ms,
            id: d.id.clone(),
        }
    }

    pub fn parse(s: &str) -> Option<ListCursor> {
        let (ms, id) = s.split_once('-')?;
        let digits = !ms.is_empty() && ms.len() <= 15 && ms.bytes().all(|b| b.is_ascii_digit());
        (digits && !id.is_empty()).then(|| ListCursor {
            changed_ms: ms.parse().unwrap_or_default(),
            id: id.to_string(),
        })
    }

    /// Whether an entry changed at `changed_ms` with `id` comes after this cursor.
    pub fn before(&self, changed_ms: i64, id: &str) -> bool {
        (changed_ms, id) < (self.changed_ms, self.id.as_str())
    }
}

impl std::fmt::Display for ListCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.changed_ms, self.id)
    }
}

/// A page of deliveries, most recently changed first.
#[derive(Debug, Clone, Default)]
pub struct DeliveryPage {
    pub deliveries: Vec<Delivery>,
    /// Where the next page starts; `None` when nothing follows.
    pub next: Option<ListCursor>,
}

/// What finishing an attempt made of the delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    /// Another attempt is scheduled.
    Retried,
    Failed,
    /// The delivery had been finished elsewhere (a replica that took it over), or expired.
    AlreadyDone,
}

impl Outcome {
    pub fn parse(s: &str) -> Outcome {
        match s {
            "delivered" => Outcome::Delivered,
            "retried" => Outcome::Retried,
            "failed" => Outcome::Failed,
            _ => Outcome::AlreadyDone,
        }
    }
}

/// Unix milliseconds now.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// The waits before each retry, in ms, each lengthened by up to 20 % at random so that
/// deliveries failing together do not all come back together. Only lengthened: the schedule's
/// total is a floor.
pub fn jittered(schedule: &[u64]) -> Vec<i64> {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    schedule
        .iter()
        .map(|s| {
            let ms = (*s as f64) * 1000.0;
            (ms * (1.0 + rng.gen_range(0.0..0.2))) as i64
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_cursors() {
        let c = ListCursor::parse("1794297600000-evt_ab-1").unwrap();
        assert_eq!(
            (c.changed_ms, c.id.as_str()),
            (1_794_297_600_000, "evt_ab-1")
        );
        assert_eq!(c.to_string(), "1794297600000-evt_ab-1");
        for bad in ["", "-x", "12-", "a-x", "1234567890123456-x"] {
            assert_eq!(ListCursor::parse(bad), None, "{bad}");
        }
        // Newest first: an older change, or the same instant with a smaller id, follows.
        assert!(c.before(1_794_297_599_999, "evt_zz"));
        assert!(c.before(1_794_297_600_000, "evt_aa"));
        assert!(!c.before(1_794_297_600_000, "evt_ab-1"));
        assert!(!c.before(1_794_297_600_001, "evt_00"));
    }

    #[test]
    fn the_default_schedule_spans_more_than_a_day() {
        let schedule = [5, 300, 1800, 7200, 18000, 36000, 36000];
        let total: u64 = schedule.iter().sum();
        assert!(total >= 24 * 3600, "{total}");
        for _ in 0..100 {
            let j = jittered(&schedule);
            for (w, s) in j.iter().zip(schedule) {
                assert!(*w >= (s * 1000) as i64 && *w <= (s * 1200) as i64);
            }
        }
    }
}
