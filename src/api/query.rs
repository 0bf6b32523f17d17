//! The query strings of the listing operations (`/v1/events`, `/v1/webhook-deliveries`), read
//! alike: each parameter known to the operation and given at most once, and a bad one answered
//! 422 `validation_failed` naming it (`/name`), as every other parameter of the API.

use actix_web::web;

use super::problem::Problem;
use crate::domain::FieldError;

/// A problem naming the parameter `name`.
pub fn bad(name: &str, rule: &str, message: impl Into<String>) -> Problem {
    Problem::validation(vec![FieldError::new(
        format!("/{name}"),
        rule,
        message.into(),
    )])
}

/// The parameters of `query`, in order; a problem for the first that is not one of `known` or
/// is given twice.
pub fn params(query: &str, known: &[&str]) -> Result<Vec<(String, String)>, Problem> {
    let pairs = web::Query::<Vec<(String, String)>>::from_query(query)
        .map_err(|e| bad("query", "format", e.to_string()))?
        .into_inner();
    for (i, (name, _)) in pairs.iter().enumerate() {
        if !known.contains(&name.as_str()) {
            let message = format!(
                "is not a parameter of this operation ({})",
                known.join(", ")
            );
            return Err(bad(name, "unknown", message));
        }
        if pairs[..i].iter().any(|(earlier, _)| earlier == name) {
            return Err(bad(name, "once", "must be given at most once"));
        }
    }
    Ok(pairs)
}

/// `limit`: a whole number from 1 to `max`.
pub fn limit(name: &str, value: &str, max: usize) -> Result<usize, Problem> {
    value
        .parse::<usize>()
        .ok()
        .filter(|n| (1..=max).contains(n))
        .ok_or_else(|| {
            bad(
                name,
                "range",
                format!("must be a whole number from 1 to {max}"),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(p: Problem) -> (String, String) {
        let e = &p.errors[0];
        (e.pointer.clone(), e.rule.clone())
    }

    #[test]
    fn known_parameters_come_back_in_order() {
        let got = params("limit=5&after=1-0", &["after", "limit"]).unwrap();
        assert_eq!(
            got,
            vec![
                ("limit".to_string(), "5".to_string()),
                ("after".to_string(), "1-0".to_string())
            ]
        );
        assert!(params("", &["after"]).unwrap().is_empty());
    }

    #[test]
    fn an_unknown_or_repeated_parameter_is_named() {
        let unknown = params("limit=5&colour=red", &["after", "limit"]).unwrap_err();
        assert_eq!(field(unknown), ("/colour".into(), "unknown".into()));
        let twice = params("limit=5&limit=6", &["limit"]).unwrap_err();
        assert_eq!(field(twice), ("/limit".into(), "once".into()));
    }

    #[test]
    fn limits_are_whole_numbers_in_range() {
        assert_eq!(limit("limit", "100", 100).unwrap(), 100);
        for bad in ["0", "101", "-1", "1.5", "", "ten"] {
            let e = limit("limit", bad, 100).unwrap_err();
            assert_eq!(field(e), ("/limit".into(), "range".into()), "{bad:?}");
        }
    }
}
