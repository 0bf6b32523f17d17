//! Bank account: IBAN (Urssaf's pattern + ISO 13616 checksum), BIC, holder.

use regex::Regex;
use std::sync::LazyLock;

use crate::domain::{checked_text, text, FieldError};

checked_text!(
    /// A checked IBAN: no spaces, upper case, Urssaf's pattern, a right ISO 13616 checksum.
    Iban,
    check_iban
);
checked_text!(
    /// A checked BIC, upper case, 8 or 11 characters.
    Bic,
    check_bic
);

/// Urssaf's IBAN pattern, on the upper-cased IBAN without spaces.
static IBAN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{4}[0-9]{7}[A-Z0-9]{0,16}$").expect("static regex")
});
/// Urssaf's BIC pattern (8 or 11 characters), upper-cased.
static BIC: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Z]{6}[0-9A-Z]{2}(?:[0-9A-Z]{3})?$").expect("static regex"));

/// ISO 13616 check: move the first 4 characters to the end, letters to 10..35, value mod 97 = 1.
/// Expects an ASCII alphanumeric string; anything else fails.
pub fn iban_checksum_ok(iban: &str) -> bool {
    if iban.len() < 5 || !iban.is_ascii() {
        return false;
    }
    let (head, tail) = iban.split_at(4);
    let mut rem: u32 = 0;
    for c in tail.chars().chain(head.chars()) {
        let v = match c.to_digit(36) {
            Some(v) => v,
            None => return false,
        };
        // Letters are two digits, digits one: fold them in one at a time to stay small.
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem == 1
}

/// Normalises (whitespace removed, upper case) and checks an IBAN.
pub fn check_iban(raw: &str, pointer: &str) -> Result<String, FieldError> {
    let iban: String = raw
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    if iban.is_empty() {
        return Err(FieldError::new(pointer, "required", "must not be empty"));
    }
    if !(18..=38).contains(&iban.len()) || !IBAN.is_match(&iban) {
        return Err(FieldError::new(
            pointer,
            "iban_format",
            "must be an IBAN: country letters, 2 check digits, then the account (spaces allowed)",
        ));
    }
    if !iban_checksum_ok(&iban) {
        return Err(FieldError::new(
            pointer,
            "iban_checksum",
            "has a wrong check digit (ISO 13616 mod-97): check for a typo",
        ));
    }
    Ok(iban)
}

/// Normalises (trimmed, upper case) and checks a BIC.
pub fn check_bic(raw: &str, pointer: &str) -> Result<String, FieldError> {
    let bic = raw.trim().to_ascii_uppercase();
    if !BIC.is_match(&bic) {
        return Err(FieldError::new(
            pointer,
            "bic_format",
            "must be a BIC of 8 or 11 letters and digits, e.g. BNPAFRPP",
        ));
    }
    Ok(bic)
}

/// Checks the account holder's name (1..100 characters).
pub fn check_holder(raw: &str, pointer: &str) -> Result<String, FieldError> {
    let h = text::collapse_spaces(raw);
    match text::char_len(&h) {
        0 => Err(FieldError::new(pointer, "required", "must not be empty")),
        n if n > 100 => Err(FieldError::new(
            pointer,
            "max_length",
            "must be at most 100 characters",
        )),
        _ => Ok(h),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_ibans() {
        assert_eq!(
            check_iban("FR7630004000031234567890143", "/i").unwrap(),
            "FR7630004000031234567890143"
        );
        assert_eq!(
            check_iban("FR76 3000 6000 0112 3456 7890 189", "/i").unwrap(),
            "FR7630006000011234567890189"
        );
        assert_eq!(
            check_iban("fr76 3000 4000 0312 3456 7890 143", "/i").unwrap(),
            "FR7630004000031234567890143"
        );
        assert!(iban_checksum_ok("DE89370400440532013000"));
    }

    #[test]
    fn wrong_checksums() {
        for bad in [
            "FR7630004000031234567890144",
            "FR7730004000031234567890143",
            "FR7630004000031234567890134",
        ] {
            assert_eq!(
                check_iban(bad, "/i").unwrap_err().rule,
                "iban_checksum",
                "{bad}"
            );
        }
    }

    #[test]
    fn wrong_shapes() {
        for bad in [
            "FR76300040000312",
            "7630004000031234567890143FR",
            "FR76-3000-4000-0312-3456-7890-143",
            "FRÉ630004000031234567890143",
            &format!("FR76{}", "1".repeat(40)),
        ] {
            assert_eq!(
                check_iban(bad, "/i").unwrap_err().rule,
                "iban_format",
                "{bad}"
            );
        }
        assert_eq!(check_iban(" ", "/i").unwrap_err().rule, "required");
        assert!(!iban_checksum_ok("FR7"));
        assert!(!iban_checksum_ok("FR76é0004000"));
    }

    #[test]
    fn bic_8_or_11() {
        assert_eq!(check_bic("bnpafrpp", "/b").unwrap(), "BNPAFRPP");
        assert!(check_bic("BNPAFRPPXXX", "/b").is_ok());
        for bad in ["BNPAFRP", "BNPAFRPPXX", "BNP1FRPP", ""] {
            assert_eq!(
                check_bic(bad, "/b").unwrap_err().rule,
                "bic_format",
                "{bad}"
            );
        }
    }

    #[test]
    fn holder_length() {
        assert_eq!(
            check_holder("  Mme  Jeanne Durand ", "/h").unwrap(),
            "Mme Jeanne Durand"
        );
        assert_eq!(check_holder("", "/h").unwrap_err().rule, "required");
        assert_eq!(
            check_holder(&"a".repeat(101), "/h").unwrap_err().rule,
            "max_length"
        );
    }
}
