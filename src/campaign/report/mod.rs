//! The campaign's evidence: each step with its time, the exact requests sent to Urssaf and its
//! answers (secrets and tokens masked), the verdict; written as JSON, Markdown and a
//! self-contained printable HTML page.

mod html;
mod indent;
mod markdown;
#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::urssaf::exchange::MASK;
use crate::urssaf::Exchange;

pub use indent::indent_json;

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub title: String,
    pub gateway_version: &'static str,
    pub tenant: String,
    pub environment: &'static str,
    /// Urssaf's API base and token endpoint the calls went to.
    pub urssaf_api: String,
    pub token_url: String,
    /// The provider's OAuth2 client id (an identifier, not a secret).
    pub oauth_client_id: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub passed: bool,
    pub options: Options,
    /// What the reader must know about the data shown (masking, the fictitious person).
    pub notes: Vec<String>,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Options {
    pub identity_file: Option<String>,
    pub born_abroad: bool,
    pub multi_line: bool,
    pub one_cent: bool,
    pub activation_wait_seconds: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Passed,
    Failed,
    NotRun,
}

impl Verdict {
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Passed => "passed",
            Verdict::Failed => "FAILED",
            Verdict::NotRun => "not run",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Step {
    /// Urssaf's scenario id: `M010`, `M020`, `M050`, `M070`.
    pub id: &'static str,
    pub title: &'static str,
    /// The Urssaf endpoint(s) exercised.
    pub urssaf_calls: &'static str,
    pub verdict: Verdict,
    pub started_at: Option<DateTime<Utc>>,
    pub duration_ms: Option<u64>,
    /// What happened, in a sentence.
    pub outcome: String,
    pub failure: Option<Failure>,
    pub notes: Vec<String>,
    pub exchanges: Vec<ExchangeRecord>,
    /// Repeated status reads left out between the first and the last ones shown.
    pub omitted_exchanges: usize,
}

impl Step {
    pub fn not_run(id: &'static str, title: &'static str, urssaf_calls: &'static str) -> Step {
        Step {
            id,
            title,
            urssaf_calls,
            verdict: Verdict::NotRun,
            started_at: None,
            duration_ms: None,
            outcome: "not run: an earlier step failed".into(),
            failure: None,
            notes: Vec::new(),
            exchanges: Vec::new(),
            omitted_exchanges: 0,
        }
    }

    /// The line standing for the status reads left out, shown before the `i`th exchange
    /// kept (the last one).
    fn left_out_before(&self, i: usize) -> Option<String> {
        (self.omitted_exchanges > 0 && i + 1 == self.exchanges.len()).then(|| {
            format!(
                "… {} identical status reads left out …",
                self.omitted_exchanges
            )
        })
    }
}

/// Why a step failed: Urssaf's code when it gave one, the gateway's reading and hint.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Failure {
    pub urssaf_code: Option<String>,
    pub urssaf_message: Option<String>,
    pub problem: String,
    pub hint: Option<String>,
    /// Fields the gateway refused before sending anything (JSON pointer: message).
    pub fields: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Header {
    pub name: String,
    pub value: String,
}

/// One attempt as sent and as answered. Bodies are kept as the exact text on the wire (the
/// Markdown and HTML pages only indent them).
#[derive(Debug, Clone, Serialize)]
pub struct ExchangeRecord {
    pub at: DateTime<Utc>,
    pub operation: &'static str,
    pub method: String,
    pub url: String,
    pub request_headers: Vec<Header>,
    pub request_body: Option<String>,
    pub status: Option<u16>,
    pub answer_body: Option<String>,
    /// Why no answer arrived.
    pub error: Option<String>,
    pub latency_ms: u64,
}

impl ExchangeRecord {
    pub fn of(e: &Exchange<'_>) -> ExchangeRecord {
        let (answer_body, error) = match &e.answer {
            Ok(body) => (body_value(body), None),
            Err(why) => (None, Some(why.clone())),
        };
        ExchangeRecord {
            at: e.request.sent_at.into(),
            operation: e.operation.name(),
            method: e.request.method.clone(),
            url: e.request.url.clone(),
            request_headers: e
                .request
                .headers
                .iter()
                .map(|(name, value)| Header {
                    name: name.clone(),
                    value: value.clone(),
                })
                .collect(),
            request_body: e.request.body.as_deref().and_then(body_value),
            status: e.status,
            answer_body,
            error,
            latency_ms: e.latency.as_millis() as u64,
        }
    }

    /// What came back, in words: the status, or why nothing did.
    fn answer_line(&self) -> String {
        match (&self.status, &self.error) {
            (Some(status), _) => format!("Answer: HTTP {status}"),
            (None, Some(e)) => format!("No answer: {e}"),
            (None, None) => "No answer.".into(),
        }
    }
}

/// The body's text; nothing for an empty body.
fn body_value(bytes: &[u8]) -> Option<String> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    Some(String::from_utf8_lossy(bytes).into_owned())
}

/// Replaces every occurrence of each secret by the mask (a last guard: nothing recorded
/// should hold one). Secrets shorter than 6 characters are left alone: masking them would
/// garble ordinary words.
pub fn scrub(text: &str, secrets: &[&str]) -> String {
    secrets
        .iter()
        .filter(|s| s.len() >= 6)
        .fold(text.to_string(), |t, s| t.replace(s, MASK))
}

fn time(t: &Option<DateTime<Utc>>) -> String {
    t.map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|| "-".into())
}

fn duration(ms: Option<u64>) -> String {
    ms.map(|ms| format!("{ms} ms"))
        .unwrap_or_else(|| "-".into())
}

impl Report {
    pub fn verdict_line(&self) -> String {
        match self.steps.iter().find(|s| s.verdict == Verdict::Failed) {
            None => format!("PASSED: the {} scenarios passed.", self.steps.len()),
            Some(s) => format!("FAILED at {} ({}): {}", s.id, s.title, s.outcome),
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    fn facts(&self) -> Vec<(&'static str, String)> {
        let o = &self.options;
        let mut variants = Vec::new();
        if o.born_abroad {
            variants.push("born abroad");
        }
        if o.multi_line {
            variants.push("invoice with several lines");
        }
        if o.one_cent {
            variants.push("one-cent case");
        }
        vec![
            ("tenant", self.tenant.clone()),
            ("Urssaf environment", self.environment.to_string()),
            ("Urssaf API", self.urssaf_api.clone()),
            ("token endpoint", self.token_url.clone()),
            ("OAuth2 client id", self.oauth_client_id.clone()),
            (
                "test identity",
                o.identity_file
                    .clone()
                    .unwrap_or_else(|| "the built-in sandbox identity".into()),
            ),
            (
                "variants",
                if variants.is_empty() {
                    "none".into()
                } else {
                    variants.join(", ")
                },
            ),
            ("started", time(&Some(self.started_at))),
            ("finished", time(&Some(self.finished_at))),
            (
                "gateway",
                format!("urssaf-gateway {}", self.gateway_version),
            ),
        ]
    }
}
