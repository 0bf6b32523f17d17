//! Mobile phone and e-mail, normalised and checked against Urssaf's patterns.

use regex::Regex;
use std::sync::LazyLock;

use crate::domain::{checked_text, FieldError};

checked_text!(
    /// A French mobile number as Urssaf wants it: `06XXXXXXXX` or `07XXXXXXXX`.
    MobilePhone,
    normalize_mobile
);
checked_text!(
    /// An e-mail address that passes Urssaf's own pattern.
    Email,
    check_email
);

/// Urssaf's `adresseMail` pattern, verbatim (§2.1).
static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[-A-Za-z0-9_]+(\.[-A-Za-z0-9_]+)*@[A-Za-z0-9]+((-|\.)[A-Za-z0-9]+)*\.[A-Za-z]+$")
        .expect("static regex")
});

/// Longest e-mail accepted (RFC 5321 path limit); Urssaf states none.
const MAX_EMAIL: usize = 254;

/// Normalises a French mobile number to `06XXXXXXXX` / `07XXXXXXXX`.
///
/// Accepts spaces, dots, dashes, slashes and parentheses as separators and the `+33`, `0033`
/// and `+33 (0)` prefixes. Only French mobiles (06/07) are accepted, as Urssaf requires.
pub fn normalize_mobile(raw: &str, pointer: &str) -> Result<String, FieldError> {
    let compact: String = raw
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-' | '/' | '(' | ')' | '\u{a0}'))
        .collect();
    let national = if let Some(rest) = compact
        .strip_prefix("+33")
        .or_else(|| compact.strip_prefix("0033"))
    {
        // "+33 (0)6…" leaves a national trunk 0 after the prefix.
        let rest = if rest.len() == 10 {
            rest.strip_prefix('0').unwrap_or(rest)
        } else {
            rest
        };
        format!("0{rest}")
    } else {
        compact
    };
    let b = national.as_bytes();
    let ok = b.len() == 10
        && b[0] == b'0'
        && (b[1] == b'6' || b[1] == b'7')
        && b.iter().all(u8::is_ascii_digit);
    if ok {
        Ok(national)
    } else {
        Err(FieldError::new(
            pointer,
            "french_mobile",
            "must be a French mobile number (06 or 07 followed by 8 digits; +33 and 0033 prefixes accepted)",
        ))
    }
}

/// Checks an e-mail address (trimmed) against Urssaf's own pattern.
pub fn check_email(raw: &str, pointer: &str) -> Result<String, FieldError> {
    let e = raw.trim();
    if e.is_empty() {
        return Err(FieldError::new(pointer, "required", "must not be empty"));
    }
    if e.len() > MAX_EMAIL || !EMAIL.is_match(e) {
        return Err(FieldError::new(
            pointer,
            "email",
            "must be an e-mail address Urssaf accepts: ASCII letters, digits, '-', '_' and dots, no '+'",
        ));
    }
    Ok(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobile_numbers_normalise() {
        for (raw, want) in [
            ("06 05 04 03 02", "0605040302"),
            ("06.05.04.03.02", "0605040302"),
            ("07-05-04-03-02", "0705040302"),
            ("+33 6 05 04 03 02", "0605040302"),
            ("+33 (0)6 05 04 03 02", "0605040302"),
            ("0033605040302", "0605040302"),
            ("+33705040302", "0705040302"),
        ] {
            assert_eq!(normalize_mobile(raw, "/p").unwrap(), want, "{raw}");
        }
    }

    #[test]
    fn non_mobile_numbers_refused() {
        for bad in [
            "0105040302",
            "060504030",
            "06050403021",
            "+44 7700 900123",
            "06 05 04 03 0x",
            "",
            "０６05040302",
            "+33",
        ] {
            assert_eq!(
                normalize_mobile(bad, "/p").unwrap_err().rule,
                "french_mobile",
                "{bad}"
            );
        }
    }

    #[test]
    fn email_pattern() {
        for ok in [
            "jeanne.durand@example.org",
            "a_b-c@mail.example.fr",
            " x@y.io ",
        ] {
            assert!(check_email(ok, "/e").is_ok(), "{ok}");
        }
        for bad in [
            "jeanne+tag@example.org",
            "jeanne@example",
            "jé@example.org",
            "a..b@example.org",
            "@example.org",
            "a@-example.org",
        ] {
            assert_eq!(check_email(bad, "/e").unwrap_err().rule, "email", "{bad}");
        }
        assert_eq!(check_email("  ", "/e").unwrap_err().rule, "required");
    }
}
