//! `/problems/{code}`: the page a problem's `type` leads to (RFC 9457 §3.1.1), one per code
//! of the problem-code table, and `/problems`, the list. Plain HTML, no external assets, no
//! API key: a person reading a problem in a log or a browser can follow its `type`.

use actix_web::http::header;
use actix_web::{get, web, HttpResponse};

use super::problem::{Problem, ProblemCode};

/// The page of one problem code: title, when it happens, how to fix the call.
#[utoipa::path(get, path = "/problems/{code}", tag = "operations", operation_id = "problem_page",
    params(("code" = String, Path, description = "The problem code with dashes, as in a problem's `type`, e.g. `validation-failed`")),
    responses(
        (status = 200, description = "The problem's documentation page", body = String, content_type = "text/html"),
        (status = 404, description = "No such problem code", body = Problem, content_type = "application/problem+json")))]
#[get("/problems/{code}")]
pub async fn page(code: web::Path<String>) -> Result<HttpResponse, Problem> {
    let code = ProblemCode::from_slug(&code)
        .ok_or_else(|| Problem::not_found("no such problem code; /problems lists them"))?;
    Ok(html(&render_page(code)))
}

/// Every problem code, linking to its page.
#[utoipa::path(get, path = "/problems", tag = "operations", operation_id = "problem_index",
    responses((status = 200, description = "The list of problem codes", body = String, content_type = "text/html")))]
#[get("/problems")]
pub async fn index() -> HttpResponse {
    html(&render_index())
}

fn html(body: &str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        // The pages change only with the binary.
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(body.to_string())
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;line-height:1.5}code{background:#f3f3f3;padding:0 .2em}dt{font-weight:bold;margin-top:1em}";

fn document(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title><style>{STYLE}</style></head>\n<body>\n{body}</body></html>\n"
    )
}

pub fn render_page(code: ProblemCode) -> String {
    let retry = code
        .retry_after()
        .map(|s| format!("<dt>Retry</dt><dd>The answer carries <code>Retry-After</code> (by default {s} s).</dd>\n"))
        .unwrap_or_default();
    let body = format!(
        "<p><a href=\"/problems\">Problems</a> of the Urssaf gateway</p>\n<h1>{title}</h1>\n<dl>\n<dt>Code</dt><dd><code>{name}</code>, HTTP {status}</dd>\n<dt>When it happens</dt><dd>{when}</dd>\n<dt>How to fix the call</dt><dd>{fix}</dd>\n{retry}</dl>\n<p>Every problem is <code>application/problem+json</code> (RFC 9457) with <code>request_id</code>: quote it when asking for help. The API is described at <a href=\"/docs/\">/docs/</a>.</p>\n",
        title = inline(code.title()),
        name = code.as_str(),
        status = code.status().as_u16(),
        when = inline(code.when()),
        fix = inline(code.fix()),
    );
    document(
        &format!("{} ({})", escape(code.title()), code.as_str()),
        &body,
    )
}

fn render_index() -> String {
    let rows: String = ProblemCode::ALL
        .iter()
        .map(|c| {
            format!(
                "<li><a href=\"{uri}\"><code>{name}</code></a> ({status}): {title}</li>\n",
                uri = c.type_uri(),
                name = c.as_str(),
                status = c.status().as_u16(),
                title = escape(c.title()),
            )
        })
        .collect();
    document(
        "Problems of the Urssaf gateway",
        &format!("<h1>Problems of the Urssaf gateway</h1>\n<ul>\n{rows}</ul>\n"),
    )
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Escaped text with the table's `backticks` as `<code>`.
fn inline(s: &str) -> String {
    escape(s)
        .split('`')
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 {
                format!("<code>{part}</code>")
            } else {
                part.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_page_that_says_when_and_how_to_fix() {
        for code in ProblemCode::ALL {
            assert_eq!(ProblemCode::from_slug(&code.slug()), Some(*code));
            let html = render_page(*code);
            assert!(html.contains("<h1>"), "{code:?}");
            assert!(
                !code.when().is_empty() && !code.fix().is_empty(),
                "{code:?}"
            );
            // An odd number of backticks would leave a code span open on the page.
            for text in [code.when(), code.fix()] {
                assert_eq!(text.matches('`').count() % 2, 0, "{code:?}: {text}");
            }
        }
        assert_eq!(
            inline("a `b<c>` d"),
            "a <code>b&lt;c&gt;</code> d",
            "escaped, backticks as code"
        );
        assert_eq!(ProblemCode::from_slug("validation_failed"), None);
    }
}
