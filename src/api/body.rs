//! Reading JSON bodies so that every failure names the field (JSON pointer) and the rule.

use actix_web::http::header;
use actix_web::HttpRequest;
use serde::de::DeserializeOwned;

use super::problem::{Problem, ProblemCode};
use crate::domain::FieldError;

/// Bodies are JSON: a `Content-Type` other than `application/json` or `…+json` is refused
/// (none at all is read as JSON, as most clients mean it).
pub fn require_json(req: &HttpRequest) -> Result<(), Problem> {
    let Some(value) = req.headers().get(header::CONTENT_TYPE) else {
        return Ok(());
    };
    let essence = value
        .to_str()
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
    {
        return Ok(());
    }
    Err(Problem::new(
        ProblemCode::UnsupportedMediaType,
        format!("the body must be JSON (Content-Type: application/json), not {essence:?}"),
    ))
}

/// Parses a request body; a syntax error, a wrong type, a missing or an unknown field each
/// become a 422 naming the field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Problem::validation(vec![FieldError::new(
            "",
            "json",
            "a JSON body is required",
        )]));
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize::<_, T>(de).map_err(|e| {
        let pointer = to_pointer(e.path());
        let inner = e.into_inner();
        let (rule, message) = if inner.is_syntax() || inner.is_eof() {
            ("json", format!("not valid JSON: {inner}"))
        } else {
            let text = inner.to_string();
            let rule = if text.starts_with("unknown field") {
                "unknown_field"
            } else if text.starts_with("missing field") {
                "required"
            } else {
                "type"
            };
            (rule, strip_position(&text))
        };
        Problem::validation(vec![FieldError::new(pointer, rule, message)])
    })
}

/// `invoices[3].lines[0].unit_price` → `/invoices/3/lines/0/unit_price`.
fn to_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for seg in path.iter() {
        match seg {
            Segment::Seq { index } => out.push_str(&format!("/{index}")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                out.push('/');
                out.push_str(&key.replace('~', "~0").replace('/', "~1"));
            }
            Segment::Unknown => {}
        }
    }
    out
}

fn strip_position(text: &str) -> String {
    match text.find(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        items: Vec<Inner>,
    }
    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        amount: String,
    }

    #[test]
    fn errors_name_the_field() {
        let p = parse_json::<Outer>(br#"{"items":[{"amount":"1"},{"amount":2}]}"#).unwrap_err();
        assert_eq!(p.status, 422);
        assert_eq!(p.errors[0].pointer, "/items/1/amount");
        assert_eq!(p.errors[0].rule, "type");
        let p = parse_json::<Outer>(br#"{"items":[{"amount":"1","amout":"2"}]}"#).unwrap_err();
        assert_eq!(p.errors[0].rule, "unknown_field");
        assert_eq!(p.errors[0].pointer, "/items/0/amout");
        let p = parse_json::<Outer>(br#"{"items":[{}]}"#).unwrap_err();
        assert_eq!(p.errors[0].rule, "required");
        let p = parse_json::<Outer>(b"{").unwrap_err();
        assert_eq!(p.errors[0].rule, "json");
        let p = parse_json::<Outer>(b"").unwrap_err();
        assert_eq!(p.errors[0].rule, "json");
    }
}
