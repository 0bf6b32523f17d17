//! Postal address rules (`adressePostale`, urssaf-atp.md §2.1).

use regex::Regex;
use std::sync::LazyLock;

use super::street_types::street_type_code;
use crate::domain::{redacted_debug, text, FieldError};

/// Full INSEE COG commune code (Corsica's 2A/2B allowed).
static COMMUNE_CODE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[0-9][0-9AB][0-9]{3}$").expect("static regex"));

redacted_debug!(AddressInput<'a>);
redacted_debug!(Address);

/// The caller's address fields, already read.
#[derive(Clone, Copy, Default)]
pub struct AddressInput<'a> {
    pub street_number: Option<&'a str>,
    pub street_letter: Option<&'a str>,
    pub street_type: Option<&'a str>,
    pub street_name: Option<&'a str>,
    pub complement: Option<&'a str>,
    pub locality: Option<&'a str>,
    pub commune_code: &'a str,
    pub commune_name: &'a str,
    pub postal_code: &'a str,
    pub country_code: Option<&'a str>,
}

impl AddressInput<'static> {
    /// The public API sketch's address.
    pub const EXAMPLE: AddressInput<'static> = AddressInput {
        street_number: Some("12"),
        street_letter: Some("bis"),
        street_type: Some("r"),
        street_name: Some("de la Paix"),
        complement: None,
        locality: None,
        commune_code: "44109",
        commune_name: "Nantes",
        postal_code: "44000",
        country_code: None,
    };
}

/// A checked address, values as Urssaf wants them.
#[derive(Clone, PartialEq, Eq)]
pub struct Address {
    pub street_number: Option<String>,
    pub street_letter: Option<String>,
    pub street_type: Option<String>,
    pub street_name: Option<String>,
    pub complement: Option<String>,
    pub locality: Option<String>,
    pub commune_code: String,
    pub commune_name: String,
    pub postal_code: String,
    pub country_code: String,
}

/// Urssaf's one-letter code for a street-number suffix: `bis`→`B`, `ter`→`T`, `quater`→`Q`,
/// `quinquies`→`C` (the letters themselves are accepted too, any case).
pub fn street_letter_code(raw: &str) -> Option<&'static str> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "bis" | "b" => Some("B"),
        "ter" | "t" => Some("T"),
        "quater" | "q" => Some("Q"),
        "quinquies" | "quinquiès" | "c" => Some("C"),
        _ => None,
    }
}

fn max_len(
    value: Option<&str>,
    max: usize,
    pointer: String,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let v = text::non_blank(value)?;
    if text::char_len(v) > max {
        errors.push(FieldError::new(
            pointer,
            "max_length",
            format!("must be at most {max} characters"),
        ));
    }
    Some(v.to_string())
}

fn five_digits(s: &str) -> bool {
    s.len() == 5 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Checks the address and returns it in Urssaf's shape, or every failing field.
/// `base` is the JSON pointer of the address object, e.g. `/address`.
pub fn check(a: AddressInput<'_>, base: &str) -> Result<Address, Vec<FieldError>> {
    let mut errors = Vec::new();
    let p = |f: &str| format!("{base}/{f}");

    let street_number = text::non_blank(a.street_number).map(str::to_string);
    if let Some(n) = &street_number {
        if n.len() > 20 || !n.bytes().all(|b| b.is_ascii_digit()) || n.bytes().all(|b| b == b'0') {
            errors.push(FieldError::new(
                p("street_number"),
                "street_number",
                "must be 1 to 20 digits, not 0",
            ));
        }
    }
    let street_letter = text::non_blank(a.street_letter).and_then(|l| {
        let code = street_letter_code(l);
        if code.is_none() {
            errors.push(FieldError::new(
                p("street_letter"),
                "street_letter",
                "must be one of bis, ter, quater, quinquies",
            ));
        }
        code.map(str::to_string)
    });
    let street_type = text::non_blank(a.street_type).and_then(|t| {
        let code = street_type_code(t);
        if code.is_none() {
            errors.push(FieldError::new(
                p("street_type"),
                "street_type",
                "must be an Urssaf street-type code, e.g. R (rue), AV (avenue), BD (boulevard), CHE (chemin), PL (place)",
            ));
        }
        code.map(str::to_string)
    });
    let street_name = max_len(a.street_name, 28, p("street_name"), &mut errors);
    let complement = max_len(a.complement, 38, p("complement"), &mut errors);
    let locality = max_len(a.locality, 38, p("locality"), &mut errors);

    let type_given = text::non_blank(a.street_type).is_some();
    match (type_given, street_name.is_some()) {
        (true, false) => errors.push(FieldError::new(
            p("street_name"),
            "street_type_and_name_together",
            "is required when street_type is given",
        )),
        (false, true) => errors.push(FieldError::new(
            p("street_type"),
            "street_type_and_name_together",
            "is required when street_name is given",
        )),
        (false, false) if complement.is_none() && locality.is_none() => {
            errors.push(FieldError::new(
                p("street_name"),
                "street_or_complement_or_locality",
                "give street_type and street_name, or complement, or locality",
            ))
        }
        _ => {}
    }

    let commune_code = a.commune_code.trim().to_ascii_uppercase();
    if !COMMUNE_CODE.is_match(&commune_code) {
        errors.push(FieldError::new(
            p("commune_code"),
            "insee_commune_code",
            "must be the 5-character INSEE code of the commune (2A/2B allowed), not the postal code",
        ));
    }
    let commune_name = a.commune_name.trim().to_string();
    if commune_name.is_empty() {
        errors.push(FieldError::new(
            p("commune_name"),
            "required",
            "must not be empty",
        ));
    } else if text::char_len(&commune_name) > 50 {
        errors.push(FieldError::new(
            p("commune_name"),
            "max_length",
            "must be at most 50 characters",
        ));
    }
    let postal_code = a.postal_code.trim().to_string();
    if !five_digits(&postal_code) {
        errors.push(FieldError::new(
            p("postal_code"),
            "postal_code",
            "must be 5 digits",
        ));
    }
    let country_code = text::non_blank(a.country_code)
        .unwrap_or(super::birthplace::FRANCE)
        .to_string();
    if !five_digits(&country_code) {
        errors.push(FieldError::new(
            p("country_code"),
            "insee_country_code",
            "must be a 5-digit INSEE country code (99100 for France)",
        ));
    }

    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Address {
        street_number,
        street_letter,
        street_type,
        street_name,
        complement,
        locality,
        commune_code,
        commune_name,
        postal_code,
        country_code,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> AddressInput<'static> {
        AddressInput::EXAMPLE
    }

    fn rules(a: AddressInput<'_>) -> Vec<(String, String)> {
        check(a, "/address")
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| (e.pointer, e.rule))
            .collect()
    }

    fn one(pointer: &str, rule: &str) -> Vec<(String, String)> {
        vec![(pointer.to_string(), rule.to_string())]
    }

    #[test]
    fn valid_address_is_normalised() {
        let a = check(base(), "/address").unwrap();
        assert_eq!(a.street_letter.as_deref(), Some("B"));
        assert_eq!(a.street_type.as_deref(), Some("R"));
        assert_eq!(a.country_code, "99100");
    }

    #[test]
    fn street_number_digits_not_zero() {
        for bad in ["0", "000", "12a", "123456789012345678901"] {
            assert_eq!(
                rules(AddressInput {
                    street_number: Some(bad),
                    ..base()
                }),
                one("/address/street_number", "street_number"),
                "{bad}"
            );
        }
    }

    #[test]
    fn letter_and_type_enums() {
        assert_eq!(
            check(
                AddressInput {
                    street_letter: Some("QUINQUIES"),
                    ..base()
                },
                "/a"
            )
            .unwrap()
            .street_letter
            .as_deref(),
            Some("C")
        );
        assert_eq!(
            rules(AddressInput {
                street_letter: Some("x"),
                ..base()
            }),
            one("/address/street_letter", "street_letter")
        );
        assert_eq!(
            rules(AddressInput {
                street_type: Some("RUE"),
                ..base()
            }),
            one("/address/street_type", "street_type")
        );
    }

    #[test]
    fn lengths() {
        assert_eq!(
            rules(AddressInput {
                street_name: Some(&"a".repeat(29)),
                ..base()
            }),
            one("/address/street_name", "max_length")
        );
        assert_eq!(
            rules(AddressInput {
                complement: Some(&"a".repeat(39)),
                ..base()
            }),
            one("/address/complement", "max_length")
        );
        assert_eq!(
            rules(AddressInput {
                locality: Some(&"é".repeat(39)),
                ..base()
            }),
            one("/address/locality", "max_length")
        );
        assert!(rules(AddressInput {
            locality: Some(&"é".repeat(38)),
            ..base()
        })
        .is_empty());
    }

    #[test]
    fn type_and_name_together() {
        assert_eq!(
            rules(AddressInput {
                street_name: None,
                complement: Some("Bât A"),
                ..base()
            }),
            one("/address/street_name", "street_type_and_name_together")
        );
        assert_eq!(
            rules(AddressInput {
                street_type: None,
                ..base()
            }),
            one("/address/street_type", "street_type_and_name_together")
        );
    }

    #[test]
    fn one_of_street_complement_locality() {
        let none = AddressInput {
            street_type: None,
            street_name: None,
            ..base()
        };
        assert_eq!(
            rules(none),
            one("/address/street_name", "street_or_complement_or_locality")
        );
        assert!(rules(AddressInput {
            locality: Some("Le Bourg"),
            ..none
        })
        .is_empty());
        assert!(rules(AddressInput {
            complement: Some("Résidence les Pins"),
            ..none
        })
        .is_empty());
    }

    #[test]
    fn codes() {
        assert!(rules(AddressInput {
            commune_code: "2a004",
            ..base()
        })
        .is_empty());
        assert_eq!(
            rules(AddressInput {
                commune_code: "4410",
                ..base()
            }),
            one("/address/commune_code", "insee_commune_code")
        );
        assert_eq!(
            rules(AddressInput {
                postal_code: "4400A",
                ..base()
            }),
            one("/address/postal_code", "postal_code")
        );
        assert_eq!(
            rules(AddressInput {
                country_code: Some("FR"),
                ..base()
            }),
            one("/address/country_code", "insee_country_code")
        );
        assert_eq!(
            rules(AddressInput {
                commune_name: " ",
                ..base()
            }),
            one("/address/commune_name", "required")
        );
    }
}
