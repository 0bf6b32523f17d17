//! The report as Markdown: the summary table (also what the command prints) and each step
//! with its exchanges.

use super::{duration, indent_json, time, Report};

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
                if let Some(left_out) = s.left_out_before(i) {
                    md.push_str(&format!("\n*{left_out}*\n"));
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
                    md.push_str(&format!("\n```json\n{}\n```\n", indent_json(b)));
                }
                md.push_str(&format!("\n{}\n", x.answer_line()));
                match &x.answer_body {
                    Some(b) => md.push_str(&format!("\n```json\n{}\n```\n", indent_json(b))),
                    None if x.status.is_some() => md.push_str("\n(empty body)\n"),
                    None => {}
                }
            }
        }
        md
    }
}
