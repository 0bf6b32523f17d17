//! The results of the tenants' Urssaf access checks (`campaign::check` runs them) and the board
//! the gateway keeps the latest on, which `/checks` on the metrics port shows. Plain values
//! here, below the API that renders them and the campaign that fills them.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use parking_lot::RwLock;
use serde::{Deserialize, Serialize};

/// One tenant's result (shared between replicas as JSON: see `campaign::fleet_check`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TenantCheck {
    pub tenant: String,
    pub environment: String,
    /// Token obtained and the search answered as expected.
    pub passed: bool,
    /// The token endpoint issued a token for the tenant's credentials.
    pub token_ok: bool,
    /// Urssaf's API answered (whatever it said).
    pub api_reachable: bool,
    /// Token (when not already held) plus the search, retries included.
    pub latency_ms: u64,
    /// HTTP status of Urssaf's last answer.
    pub urssaf_status: Option<u16>,
    /// Urssaf's first error code in its last answer (`ERR_RECHERCHE_VIDE` when all is well).
    pub urssaf_code: Option<String>,
    /// What went wrong, in a sentence.
    pub problem: Option<String>,
    /// What to do about it.
    pub hint: Option<String>,
    pub checked_at: DateTime<Utc>,
}

/// The latest results of the gateway's periodic check; cheap to clone.
#[derive(Clone)]
pub struct CheckBoard {
    inner: Arc<RwLock<Board>>,
}

struct Board {
    interval: Duration,
    results: Vec<TenantCheck>,
}

/// Where the checks stand, as `/checks` answers it.
#[derive(Debug, Clone, Serialize)]
pub struct CheckSummary {
    /// `pass` (every tenant passed its last check), `fail`, `pending` (first check running)
    /// or `off` (`check.interval_seconds = 0`).
    pub status: &'static str,
    pub interval_seconds: u64,
    pub tenants: Vec<TenantCheck>,
}

impl CheckBoard {
    /// `interval` zero means the checks are off.
    pub fn new(interval: Duration) -> CheckBoard {
        CheckBoard {
            inner: Arc::new(RwLock::new(Board {
                interval,
                results: Vec::new(),
            })),
        }
    }

    pub fn publish(&self, results: Vec<TenantCheck>) {
        self.inner.write().results = results;
    }

    pub fn summary(&self) -> CheckSummary {
        let board = self.inner.read();
        let status = if board.interval.is_zero() {
            "off"
        } else if board.results.is_empty() {
            "pending"
        } else if board.results.iter().all(|c| c.passed) {
            "pass"
        } else {
            "fail"
        };
        CheckSummary {
            status,
            interval_seconds: board.interval.as_secs(),
            tenants: board.results.clone(),
        }
    }
}

/// One tenant's check as the tests of its users need it: passed, or failed on its token.
#[cfg(test)]
impl TenantCheck {
    pub(crate) fn example(tenant: &str, passed: bool) -> TenantCheck {
        TenantCheck {
            tenant: tenant.into(),
            environment: "sandbox".into(),
            passed,
            token_ok: passed,
            api_reachable: passed,
            latency_ms: 12,
            urssaf_status: passed.then_some(400),
            urssaf_code: passed.then(|| "ERR_RECHERCHE_VIDE".to_string()),
            problem: (!passed)
                .then(|| "the token endpoint refused the credentials (HTTP 401)".into()),
            hint: (!passed).then(|| "check the secret".into()),
            checked_at: Utc::now(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(tenant: &str, passed: bool) -> TenantCheck {
        TenantCheck::example(tenant, passed)
    }

    #[test]
    fn board_status() {
        let off = CheckBoard::new(Duration::ZERO);
        assert_eq!(off.summary().status, "off");
        let board = CheckBoard::new(Duration::from_secs(300));
        assert_eq!(board.summary().status, "pending");
        board.publish(vec![result("a", true)]);
        assert_eq!(board.summary().status, "pass");
        board.publish(vec![result("a", true), result("b", false)]);
        assert_eq!(board.summary().status, "fail");
    }
}
