//! Exact decimal values given as text by callers: money, quantities, rates.

use rust_decimal::{Decimal, RoundingStrategy};
use std::str::FromStr;

use super::FieldError;

/// Digits allowed before the decimal point. Nine keeps every product of two values far inside
/// `Decimal`'s range, and no household invoice comes near a billion euros.
const MAX_INT_DIGITS: usize = 9;

/// One cent.
pub fn cent() -> Decimal {
    Decimal::new(1, 2)
}

/// Parses a non-negative decimal written `123` or `123.45` (dot separator, no sign, no
/// exponent) with at most `max_dp` significant decimals (trailing zeros do not count).
/// `pointer` names the field in the error.
pub fn parse_decimal(text: &str, max_dp: u32, pointer: &str) -> Result<Decimal, FieldError> {
    let t = text.trim();
    if t.starts_with('-') {
        return Err(FieldError::new(
            pointer,
            "non_negative",
            "must not be negative",
        ));
    }
    let (int, frac) = match t.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (t, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || frac.is_some_and(|f| !digits(f)) {
        return Err(FieldError::new(
            pointer,
            "decimal",
            "must be a decimal number written with digits and an optional dot, e.g. \"30.00\"",
        ));
    }
    let int = match int.trim_start_matches('0') {
        "" => "0",
        sig => sig,
    };
    if int.len() > MAX_INT_DIGITS {
        return Err(FieldError::new(
            pointer,
            "too_large",
            "must be below 1000000000",
        ));
    }
    // Trailing zeros carry no precision: "30.000" is a 2-decimal (even 0-decimal) amount.
    let frac_sig = frac.map(|f| f.trim_end_matches('0')).unwrap_or("");
    if frac_sig.len() > max_dp as usize {
        return Err(FieldError::new(
            pointer,
            "decimal_places",
            format!("must have at most {max_dp} decimals"),
        ));
    }
    let canonical = if frac_sig.is_empty() {
        int.to_string()
    } else {
        format!("{int}.{frac_sig}")
    };
    Decimal::from_str(&canonical)
        .map_err(|_| FieldError::new(pointer, "decimal", "is not a valid decimal number"))
}

/// Rounds to the cent, halves away from zero (the rounding the gateway uses everywhere).
pub fn round_cents(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// Amount text with exactly two decimals, e.g. `"30.00"`.
pub fn fmt_money(d: Decimal) -> String {
    let mut r = round_cents(d);
    r.rescale(2);
    r.to_string()
}

/// Decimal text without useless trailing zeros (quantities, unit prices).
pub fn fmt_plain(d: Decimal) -> String {
    d.normalize().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str, dp: u32) -> Result<Decimal, String> {
        parse_decimal(s, dp, "/x").map_err(|e| e.rule)
    }

    #[test]
    fn accepts_plain_decimals() {
        assert_eq!(p("30.00", 2), Ok(Decimal::new(30, 0)));
        assert_eq!(p("69.996", 3), Ok(Decimal::new(69996, 3)));
        assert_eq!(p("30.000", 2), Ok(Decimal::new(30, 0)));
        assert_eq!(p("0", 2), Ok(Decimal::ZERO));
    }

    #[test]
    fn rejects_bad_shapes() {
        for bad in [
            "", "abc", "1,5", "1e3", "+3", ".5", "5.", "1.2.3", "٣", "NaN",
        ] {
            assert_eq!(p(bad, 2), Err("decimal".into()), "{bad}");
        }
        assert_eq!(p("-1", 2), Err("non_negative".into()));
        assert_eq!(p("1.234", 2), Err("decimal_places".into()));
        assert_eq!(p("1234567890", 2), Err("too_large".into()));
        assert_eq!(p(&"9".repeat(500), 2), Err("too_large".into()));
        assert_eq!(
            p(&format!("1.{}", "1".repeat(500)), 2),
            Err("decimal_places".into())
        );
        assert_eq!(
            p(&format!("{}1.5", "0".repeat(500)), 2),
            Ok(Decimal::new(15, 1))
        );
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(round_cents(Decimal::new(12345, 3)), Decimal::new(1235, 2));
        assert_eq!(round_cents(Decimal::new(12344, 3)), Decimal::new(1234, 2));
        assert_eq!(fmt_money(Decimal::new(15, 0)), "15.00");
        assert_eq!(fmt_money(Decimal::new(13636, 2)), "136.36");
    }
}
