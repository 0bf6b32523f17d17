//! The campaign's evidence: each step with its time, the exact requests sent to Urssaf and its
//! answers (secrets and tokens masked), the verdict; written as JSON, Markdown and a
//! self-contained printable HTML page.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::urssaf::exchange::MASK;
use crate::urssaf::Exchange;

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
}

/// The body's text; nothing for an empty body.
fn body_value(bytes: &[u8]) -> Option<String> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    Some(String::from_utf8_lossy(bytes).into_owned())
}

/// JSON text indented for reading, every character kept in its order (whitespace outside
/// strings is replaced); anything that does not start like JSON is returned as it is.
pub fn indent_json(text: &str) -> String {
    let trimmed = text.trim();
    if !(trimmed.starts_with('{') || trimmed.starts_with('[')) {
        return text.to_string();
    }
    let mut out = String::with_capacity(trimmed.len() * 2);
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut chars = trimmed.chars().peekable();
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.push_str(&"  ".repeat(depth));
    };
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                while chars.peek().is_some_and(|n| n.is_whitespace()) {
                    chars.next();
                }
                if chars.peek().is_some_and(|n| *n == '}' || *n == ']') {
                    continue; // an empty object or array stays on its line
                }
                depth += 1;
                newline(&mut out, depth);
            }
            '}' | ']' => {
                if !(out.ends_with('{') || out.ends_with('[')) {
                    depth = depth.saturating_sub(1);
                    newline(&mut out, depth);
                }
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    out
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

fn pretty(body: &str) -> String {
    indent_json(body)
}

fn time(t: &Option<DateTime<Utc>>) -> String {
    t.map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|| "-".into())
}

fn duration(ms: Option<u64>) -> String {
    ms.map(|ms| format!("{ms} ms"))
        .unwrap_or_else(|| "-".into())
}

/// Markdown table cells must not hold `|` or line breaks.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

impl Report {
    /// The summary table, as Markdown (also what the command prints).
    pub fn summary_table(&self) -> String {
        let mut out = String::from(
            "| step | scenario | Urssaf call | verdict | time | duration | result |\n|---|---|---|---|---|---|---|\n",
        );
        for s in &self.steps {
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {} |\n",
                s.id,
                cell(s.title),
                cell(s.urssaf_calls),
                s.verdict.word(),
                time(&s.started_at),
                duration(s.duration_ms),
                cell(&s.outcome)
            ));
        }
        out
    }

    pub fn verdict_line(&self) -> String {
        match self.steps.iter().find(|s| s.verdict == Verdict::Failed) {
            None => format!("PASSED: the {} scenarios passed.", self.steps.len()),
            Some(s) => format!("FAILED at {} ({}): {}", s.id, s.title, s.outcome),
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    pub fn to_markdown(&self) -> String {
        let mut md = format!("# {}\n\n", self.title);
        md.push_str(&format!("**{}**\n\n", self.verdict_line()));
        for (k, v) in self.facts() {
            md.push_str(&format!("- {k}: {v}\n"));
        }
        md.push('\n');
        for n in &self.notes {
            md.push_str(&format!("> {n}\n>\n"));
        }
        md.push_str("\n## Summary\n\n");
        md.push_str(&self.summary_table());
        for s in &self.steps {
            md.push_str(&format!(
                "\n## {} — {} ({})\n\n",
                s.id,
                s.title,
                s.verdict.word()
            ));
            md.push_str(&format!(
                "- Urssaf call: `{}`\n- started: {}\n- duration: {}\n- result: {}\n",
                s.urssaf_calls,
                time(&s.started_at),
                duration(s.duration_ms),
                s.outcome
            ));
            if let Some(f) = &s.failure {
                md.push_str(&format!("\n**Failure.** {}\n\n", f.problem));
                if let Some(code) = &f.urssaf_code {
                    md.push_str(&format!("- Urssaf code: `{code}`\n"));
                }
                if let Some(m) = &f.urssaf_message {
                    md.push_str(&format!("- Urssaf message: {m}\n"));
                }
                for field in &f.fields {
                    md.push_str(&format!("- field {field}\n"));
                }
                if let Some(h) = &f.hint {
                    md.push_str(&format!("- gateway hint: {h}\n"));
                }
            }
            for n in &s.notes {
                md.push_str(&format!("\n> {n}\n"));
            }
            for (i, x) in s.exchanges.iter().enumerate() {
                if s.omitted_exchanges > 0 && i + 1 == s.exchanges.len() {
                    md.push_str(&format!(
                        "\n*… {} identical status reads left out …*\n",
                        s.omitted_exchanges
                    ));
                }
                md.push_str(&format!(
                    "\n### Exchange {} — {}\n\nSent {}, answered in {} ms.\n\n```http\n{} {}\n",
                    i + 1,
                    x.operation,
                    time(&Some(x.at)),
                    x.latency_ms,
                    x.method,
                    x.url
                ));
                for h in &x.request_headers {
                    md.push_str(&format!("{}: {}\n", h.name, h.value));
                }
                md.push_str("```\n");
                if let Some(b) = &x.request_body {
                    md.push_str(&format!("\n```json\n{}\n```\n", pretty(b)));
                }
                match (&x.status, &x.error) {
                    (Some(status), _) => md.push_str(&format!("\nAnswer: HTTP {status}\n")),
                    (None, Some(e)) => md.push_str(&format!("\nNo answer: {e}\n")),
                    (None, None) => md.push_str("\nNo answer.\n"),
                }
                match &x.answer_body {
                    Some(b) => md.push_str(&format!("\n```json\n{}\n```\n", pretty(b))),
                    None if x.status.is_some() => md.push_str("\n(empty body)\n"),
                    None => {}
                }
            }
        }
        md
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

    /// A page that prints well and needs nothing else (no script, no external style).
    pub fn to_html(&self) -> String {
        let e = escape;
        let mut h =
            String::from("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n");
        h.push_str(&format!(
            "<title>{}</title>\n<style>{STYLE}</style></head><body>\n",
            e(&self.title)
        ));
        h.push_str(&format!("<h1>{}</h1>\n", e(&self.title)));
        let class = if self.passed { "pass" } else { "fail" };
        h.push_str(&format!(
            "<p class=\"verdict {class}\">{}</p>\n<table class=\"facts\">",
            e(&self.verdict_line())
        ));
        for (k, v) in self.facts() {
            h.push_str(&format!("<tr><th>{}</th><td>{}</td></tr>", e(k), e(&v)));
        }
        h.push_str("</table>\n");
        for n in &self.notes {
            h.push_str(&format!("<p class=\"note\">{}</p>\n", e(n)));
        }
        h.push_str("<h2>Summary</h2>\n<table class=\"summary\"><tr><th>step</th><th>scenario</th><th>Urssaf call</th><th>verdict</th><th>time</th><th>duration</th><th>result</th></tr>\n");
        for s in &self.steps {
            h.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td class=\"{}\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                e(s.id),
                e(s.title),
                e(s.urssaf_calls),
                verdict_class(s.verdict),
                e(s.verdict.word()),
                e(&time(&s.started_at)),
                e(&duration(s.duration_ms)),
                e(&s.outcome)
            ));
        }
        h.push_str("</table>\n");
        for s in &self.steps {
            h.push_str(&format!(
                "<section class=\"step\"><h2>{} — {} <span class=\"{}\">{}</span></h2>\n<p>Urssaf call <code>{}</code>; started {}; {}.</p>\n<p>{}</p>\n",
                e(s.id),
                e(s.title),
                verdict_class(s.verdict),
                e(s.verdict.word()),
                e(s.urssaf_calls),
                e(&time(&s.started_at)),
                e(&duration(s.duration_ms)),
                e(&s.outcome)
            ));
            if let Some(f) = &s.failure {
                h.push_str(&format!(
                    "<div class=\"failure\"><p><b>Failure.</b> {}</p><ul>",
                    e(&f.problem)
                ));
                if let Some(code) = &f.urssaf_code {
                    h.push_str(&format!("<li>Urssaf code: <code>{}</code></li>", e(code)));
                }
                if let Some(m) = &f.urssaf_message {
                    h.push_str(&format!("<li>Urssaf message: {}</li>", e(m)));
                }
                for field in &f.fields {
                    h.push_str(&format!("<li>field {}</li>", e(field)));
                }
                if let Some(hint) = &f.hint {
                    h.push_str(&format!("<li>gateway hint: {}</li>", e(hint)));
                }
                h.push_str("</ul></div>\n");
            }
            for n in &s.notes {
                h.push_str(&format!("<p class=\"note\">{}</p>\n", e(n)));
            }
            for (i, x) in s.exchanges.iter().enumerate() {
                if s.omitted_exchanges > 0 && i + 1 == s.exchanges.len() {
                    h.push_str(&format!(
                        "<p class=\"note\">… {} identical status reads left out …</p>\n",
                        s.omitted_exchanges
                    ));
                }
                h.push_str(&format!(
                    "<div class=\"exchange\"><h3>Exchange {} — {}</h3><p>Sent {}, answered in {} ms.</p>\n<pre>{} {}\n",
                    i + 1,
                    e(x.operation),
                    e(&time(&Some(x.at))),
                    x.latency_ms,
                    e(&x.method),
                    e(&x.url)
                ));
                for hd in &x.request_headers {
                    h.push_str(&format!("{}: {}\n", e(&hd.name), e(&hd.value)));
                }
                h.push_str("</pre>\n");
                if let Some(b) = &x.request_body {
                    h.push_str(&format!("<pre>{}</pre>\n", e(&pretty(b))));
                }
                let answer = match (&x.status, &x.error) {
                    (Some(status), _) => format!("Answer: HTTP {status}"),
                    (None, Some(err)) => format!("No answer: {err}"),
                    (None, None) => "No answer.".into(),
                };
                h.push_str(&format!("<p class=\"answer\">{}</p>\n", e(&answer)));
                if let Some(b) = &x.answer_body {
                    h.push_str(&format!("<pre>{}</pre>\n", e(&pretty(b))));
                }
                h.push_str("</div>\n");
            }
            h.push_str("</section>\n");
        }
        h.push_str("</body></html>\n");
        h
    }
}

fn verdict_class(v: Verdict) -> &'static str {
    match v {
        Verdict::Passed => "pass",
        Verdict::Failed => "fail",
        Verdict::NotRun => "skip",
    }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font:14px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#111}\
h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid #ccc}h3{font-size:1rem}\
table{border-collapse:collapse;margin:.5rem 0}th,td{border:1px solid #bbb;padding:.25rem .5rem;text-align:left;vertical-align:top}\
.facts th{background:#f3f3f3}.summary th{background:#f3f3f3}\
pre{background:#f6f6f6;border:1px solid #ddd;padding:.5rem;white-space:pre-wrap;word-break:break-all;font-size:12px}\
.verdict{font-weight:bold;font-size:1.1rem;padding:.5rem;border-radius:4px}.verdict.pass{background:#e6f4e6}.verdict.fail{background:#fbe5e5}\
.pass{color:#17661b}.fail{color:#a31515}.skip{color:#777}.note{color:#444;font-style:italic}\
.failure{border-left:4px solid #a31515;padding-left:.75rem}.exchange{margin-left:.5rem}\
@media print{body{margin:0;max-width:none}.step{page-break-inside:auto}pre{page-break-inside:avoid}h2{page-break-after:avoid}}";

#[cfg(test)]
mod tests {
    use super::*;

    fn report(verdict: Verdict) -> Report {
        let now = Utc::now();
        Report {
            title: "Urssaf test campaign".into(),
            gateway_version: "0.0.0",
            tenant: "acme".into(),
            environment: "sandbox",
            urssaf_api: "https://api-edi.urssaf.fr/atp/v1/tiersPrestations".into(),
            token_url: "https://api-edi.urssaf.fr/api/oauth/v1/token".into(),
            oauth_client_id: "acme-id".into(),
            started_at: now,
            finished_at: now,
            passed: verdict == Verdict::Passed,
            options: Options {
                identity_file: None,
                born_abroad: false,
                multi_line: true,
                one_cent: false,
                activation_wait_seconds: 300,
            },
            notes: vec!["Tokens are masked.".into()],
            steps: vec![Step {
                id: "M010",
                title: "Register the test person",
                urssaf_calls: "POST /particulier",
                verdict,
                started_at: Some(now),
                duration_ms: Some(12),
                outcome: "registered <script>|x".into(),
                failure: (verdict == Verdict::Failed).then(|| Failure {
                    urssaf_code: Some("ERR_CONTACT".into()),
                    problem: "refused".into(),
                    hint: Some("send the same contact details".into()),
                    ..Failure::default()
                }),
                notes: vec![],
                exchanges: vec![ExchangeRecord {
                    at: now,
                    operation: "register_client",
                    method: "POST".into(),
                    url: "https://x/particulier".into(),
                    request_headers: vec![Header {
                        name: "authorization".into(),
                        value: "Bearer ***".into(),
                    }],
                    request_body: Some(r#"{"nomNaissance":"O'Brien <b>"}"#.into()),
                    status: Some(200),
                    answer_body: Some(r#"{"idClient":"c0ffee"}"#.into()),
                    error: None,
                    latency_ms: 12,
                }],
                omitted_exchanges: 0,
            }],
        }
    }

    #[test]
    fn html_is_escaped_and_self_contained() {
        let html = report(Verdict::Passed).to_html();
        assert!(!html.contains("<script>"));
        assert!(html.contains("registered &lt;script&gt;|x"));
        assert!(html.contains("O&#39;Brien &lt;b&gt;"));
        assert!(!html.contains("http-equiv") && !html.contains("<link") && !html.contains("src="));
        assert!(html.contains("@media print"));
    }

    #[test]
    fn markdown_summary_and_failure() {
        let md = report(Verdict::Failed).to_markdown();
        assert!(
            md.contains("| M010 | Register the test person | POST /particulier | FAILED |"),
            "{md}"
        );
        assert!(md.contains("registered <script>\\|x"), "{md}");
        assert!(md.contains("- Urssaf code: `ERR_CONTACT`"));
        assert!(md.contains("- gateway hint: send the same contact details"));
        assert!(md.contains("authorization: Bearer ***"));
        assert!(md.starts_with("# Urssaf test campaign\n\n**FAILED at M010"));
    }

    #[test]
    fn scrub_masks_long_secrets_only() {
        assert_eq!(scrub("a s3cr3t-value b", &["s3cr3t-value"]), "a *** b");
        assert_eq!(scrub("ordinary words", &["or"]), "ordinary words");
    }

    #[test]
    fn bodies_are_kept_as_sent() {
        assert_eq!(body_value(b""), None);
        assert_eq!(body_value(b" \n"), None);
        assert_eq!(
            body_value(br#"{"b":1,"a":2}"#).as_deref(),
            Some(r#"{"b":1,"a":2}"#)
        );
    }

    #[test]
    fn json_indented_in_its_own_order() {
        let text = r#"{"z":[1,2],"a":{},"s":"x,{\"y\":[]}","e":[],"n":{"k":null}}"#;
        let want = "{\n  \"z\": [\n    1,\n    2\n  ],\n  \"a\": {},\n  \"s\": \"x,{\\\"y\\\":[]}\",\n  \"e\": [],\n  \"n\": {\n    \"k\": null\n  }\n}";
        assert_eq!(indent_json(text), want);
        // Whitespace outside strings is normalised, content is not touched.
        let v: serde_json::Value = serde_json::from_str(&indent_json(text)).unwrap();
        assert_eq!(v, serde_json::from_str::<serde_json::Value>(text).unwrap());
        assert_eq!(indent_json("not json"), "not json");
        assert_eq!(indent_json("[ ]"), "[]");
    }
}
