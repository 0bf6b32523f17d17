//! Names and birth date, with Urssaf's patterns and the stricter 1.30.3 lengths.

use chrono::NaiveDate;
use regex::Regex;
use std::sync::LazyLock;

use crate::domain::{dates, text, FieldError};

/// Longest birth or usage name (Swagger 1.30.3; 1.29.1 allowed 100).
pub const MAX_NAME: usize = 80;
/// Longest first-names string (Swagger 1.30.3; 1.29.1 allowed 256).
pub const MAX_FIRST_NAMES: usize = 80;

/// What Urssaf's `nomNaissance` pattern means to say: letters, `'`, `-` and spaces, starting and
/// ending with a letter. (Urssaf's literal regex has a misplaced `|` that lets digits through
/// after the first letters; we enforce the intent, which Urssaf's back end checks anyway.)
static NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\pL(?:[\pL' \-]*\pL)?$").expect("static regex"));

/// Urssaf's `prenoms` pattern, verbatim: words of letters joined by `'`/`-`, single spaces between.
static FIRST_NAMES: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[\pL]+(['\-]*[\pL]+)*((\ ){1}[\pL]+(['\-]*[\pL]+)*)*$").expect("static regex")
});

/// Prepares a name for checking: always trimmed; with `fold`, accents removed and spaces folded.
pub fn prepare(raw: &str, fold: bool) -> String {
    if fold {
        text::fold_name(raw)
    } else {
        raw.trim().to_string()
    }
}

/// Checks a birth or usage name (already prepared).
pub fn check_name(name: &str, pointer: &str) -> Result<(), FieldError> {
    let len = text::char_len(name);
    if len == 0 {
        return Err(FieldError::new(pointer, "required", "must not be empty"));
    }
    if len > MAX_NAME {
        return Err(FieldError::new(
            pointer,
            "max_length",
            format!("must be at most {MAX_NAME} characters"),
        ));
    }
    if !NAME.is_match(name) {
        return Err(FieldError::new(
            pointer,
            "name_pattern",
            "must contain only letters, apostrophes, hyphens and spaces, and start and end with a letter",
        ));
    }
    Ok(())
}

/// Checks the first names (already prepared): all of them, as known by the tax office.
pub fn check_first_names(names: &str, pointer: &str) -> Result<(), FieldError> {
    let len = text::char_len(names);
    if len == 0 {
        return Err(FieldError::new(pointer, "required", "must not be empty"));
    }
    if len > MAX_FIRST_NAMES {
        return Err(FieldError::new(
            pointer,
            "max_length",
            format!("must be at most {MAX_FIRST_NAMES} characters"),
        ));
    }
    if !FIRST_NAMES.is_match(names) {
        return Err(FieldError::new(
            pointer,
            "first_names_pattern",
            "must be first names made of letters (joined by ' or -) separated by single spaces",
        ));
    }
    Ok(())
}

/// Parses the birth date and refuses one after `today`.
pub fn check_birth_date(
    raw: &str,
    today: NaiveDate,
    pointer: &str,
) -> Result<NaiveDate, FieldError> {
    let d = dates::parse_date(raw, pointer)?;
    if d > today {
        return Err(FieldError::new(
            pointer,
            "not_in_future",
            "must not be in the future",
        ));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(r: Result<(), FieldError>) -> Option<String> {
        r.err().map(|e| e.rule)
    }

    #[test]
    fn names_follow_urssaf_pattern() {
        for ok in [
            "Durand",
            "D'Artagnan",
            "Le Gall",
            "Müller-Lüdenscheidt",
            "Ñúñez",
            "O",
        ] {
            assert_eq!(rule(check_name(ok, "/n")), None, "{ok}");
        }
        for bad in [
            "Durand2",
            "-Durand",
            "Durand-",
            "'O",
            "Du_rand",
            "Dur;and",
            "Le  Gall3",
        ] {
            assert_eq!(
                rule(check_name(bad, "/n")),
                Some("name_pattern".into()),
                "{bad}"
            );
        }
        assert_eq!(rule(check_name("", "/n")), Some("required".into()));
    }

    #[test]
    fn names_are_at_most_80_characters() {
        assert_eq!(rule(check_name(&"é".repeat(80), "/n")), None);
        assert_eq!(
            rule(check_name(&"é".repeat(81), "/n")),
            Some("max_length".into())
        );
        assert_eq!(
            rule(check_first_names(&"a".repeat(81), "/f")),
            Some("max_length".into())
        );
    }

    #[test]
    fn first_names_need_single_spaces() {
        assert_eq!(rule(check_first_names("Jeanne Marie", "/f")), None);
        assert_eq!(rule(check_first_names("Jean-Pierre Éloïse", "/f")), None);
        for bad in ["Jeanne  Marie", "Jeanne Marie ", "Jean-", "Anne2", " Anne"] {
            assert_eq!(
                rule(check_first_names(bad, "/f")),
                Some("first_names_pattern".into()),
                "{bad}"
            );
        }
    }

    #[test]
    fn prepare_folds_only_on_request() {
        assert_eq!(prepare("  Hélène  Marie ", false), "Hélène  Marie");
        assert_eq!(prepare("  Hélène  Marie ", true), "Helene Marie");
    }

    #[test]
    fn birth_date_not_in_future() {
        let today = NaiveDate::from_ymd_opt(2026, 5, 1).unwrap();
        assert!(check_birth_date("2026-05-01", today, "/b").is_ok());
        assert_eq!(
            check_birth_date("2026-05-02", today, "/b")
                .unwrap_err()
                .rule,
            "not_in_future"
        );
        assert_eq!(
            check_birth_date("1980-02-30", today, "/b")
                .unwrap_err()
                .rule,
            "date"
        );
    }
}
