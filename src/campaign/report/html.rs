//! The report as one printable HTML page that needs nothing else.

use super::{duration, indent_json, time, Report, Verdict};

impl Report {
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
                if let Some(left_out) = s.left_out_before(i) {
                    h.push_str(&format!("<p class=\"note\">{}</p>\n", e(&left_out)));
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
                    h.push_str(&format!("<pre>{}</pre>\n", e(&indent_json(b))));
                }
                h.push_str(&format!(
                    "<p class=\"answer\">{}</p>\n",
                    e(&x.answer_line())
                ));
                if let Some(b) = &x.answer_body {
                    h.push_str(&format!("<pre>{}</pre>\n", e(&indent_json(b))));
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
