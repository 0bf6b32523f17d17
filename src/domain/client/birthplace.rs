//! Birthplace: France (INSEE commune code split into Urssaf's department + commune) or abroad
//! (country code only). See urssaf-atp.md §4.7.

use regex::Regex;
use std::sync::LazyLock;

use crate::domain::{redacted_debug, text, FieldError};

/// INSEE country code of France.
pub const FRANCE: &str = "99100";

/// INSEE commune code: 2 digits (or Corsica's 2A/2B) then 3 digits.
static COMMUNE_CODE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?:[0-9]{2}|2[AB])[0-9]{3}$").expect("static regex"));

redacted_debug!(Birthplace);
redacted_debug!(BirthplaceInput<'a>);

/// A birthplace as Urssaf wants it.
#[derive(Clone, PartialEq, Eq)]
pub enum Birthplace {
    /// Born in France: `departementNaissance` (3 chars), `codeCommune` (3 digits), commune label.
    France {
        department: String,
        commune: String,
        commune_name: String,
    },
    /// Born abroad: only `codePaysNaissance`.
    Abroad { country_code: String },
}

/// The caller's birthplace fields, already read.
#[derive(Clone, Copy, Default)]
pub struct BirthplaceInput<'a> {
    pub country_code: Option<&'a str>,
    pub commune_code: Option<&'a str>,
    pub commune_name: Option<&'a str>,
}

/// Splits a 5-character INSEE commune code into Urssaf's (department, commune) pair.
///
/// Metropolitan France and Corsica: `"0"` + 2 first chars, then the 3 last (77288 → 077/288,
/// 2A004 → 02A/004). Overseas (97x, and 98x by analogy, an assumption): the 3 first chars, then
/// `"0"` + the 2 last (97209 → 972/009, 97411 → 974/011): Urssaf's documented workaround for
/// its own anomaly. Returns `None` for a code that is not 5 valid characters.
pub fn split_commune_code(code: &str) -> Option<(String, String)> {
    let c = code.trim().to_ascii_uppercase();
    if !COMMUNE_CODE.is_match(&c) {
        return None;
    }
    if c.starts_with("97") || c.starts_with("98") {
        Some((c[..3].to_string(), format!("0{}", &c[3..])))
    } else {
        Some((format!("0{}", &c[..2]), c[2..].to_string()))
    }
}

/// Checks the birthplace and returns it in Urssaf's shape, or every failing field.
/// `base` is the JSON pointer of the birthplace object, e.g. `/birth_place`.
pub fn check(input: BirthplaceInput<'_>, base: &str) -> Result<Birthplace, Vec<FieldError>> {
    let country = text::non_blank(input.country_code);
    let code = text::non_blank(input.commune_code);
    let name = text::non_blank(input.commune_name);
    let mut errors = Vec::new();

    match country {
        Some(c) if c != FRANCE => {
            if !(c.len() == 5 && c.starts_with("99") && c.bytes().all(|b| b.is_ascii_digit())) {
                errors.push(FieldError::new(
                    format!("{base}/country_code"),
                    "insee_country_code",
                    "must be a 5-digit INSEE country code starting with 99 (99100 for France)",
                ));
            }
            for (value, field) in [(code, "commune_code"), (name, "commune_name")] {
                if value.is_some() {
                    errors.push(FieldError::new(
                        format!("{base}/{field}"),
                        "abroad_without_commune",
                        "must be omitted for a birth abroad (only country_code is sent)",
                    ));
                }
            }
            if errors.is_empty() {
                return Ok(Birthplace::Abroad {
                    country_code: c.to_string(),
                });
            }
            return Err(errors);
        }
        None if code.is_none() && name.is_none() => {
            return Err(vec![FieldError::new(
                format!("{base}/country_code"),
                "required",
                "give country_code for a birth abroad, or commune_code and commune_name for a birth in France",
            )]);
        }
        _ => {}
    }

    let split = match code {
        None => {
            errors.push(FieldError::new(
                format!("{base}/commune_code"),
                "required",
                "is required for a birth in France (5-character INSEE code of the commune at the date of birth)",
            ));
            None
        }
        Some(c) if c.starts_with("99") => {
            errors.push(FieldError::new(
                format!("{base}/commune_code"),
                "insee_commune_code",
                "is a country code (99xxx), not a commune: for a birth abroad give it as country_code and omit commune_code and commune_name",
            ));
            None
        }
        Some(c) if c.starts_with("96") => {
            errors.push(FieldError::new(
                format!("{base}/commune_code"),
                "insee_commune_code",
                "must be the INSEE code of a French commune: no commune code starts with 96",
            ));
            None
        }
        Some(c) => {
            let s = split_commune_code(c);
            if s.is_none() {
                errors.push(FieldError::new(
                    format!("{base}/commune_code"),
                    "insee_commune_code",
                    "must be 5 characters: 2 digits (or 2A/2B) then 3 digits",
                ));
            }
            s
        }
    };
    let name_ok = match name {
        None => {
            errors.push(FieldError::new(
                format!("{base}/commune_name"),
                "required",
                "is required for a birth in France",
            ));
            None
        }
        Some(n) if text::char_len(n) > 50 => {
            errors.push(FieldError::new(
                format!("{base}/commune_name"),
                "max_length",
                "must be at most 50 characters",
            ));
            None
        }
        Some(n) if n.contains(';') => {
            errors.push(FieldError::new(
                format!("{base}/commune_name"),
                "no_semicolon",
                "must not contain ';'",
            ));
            None
        }
        Some(n) => Some(n),
    };
    match (split, name_ok) {
        (Some((department, commune)), Some(n)) if errors.is_empty() => Ok(Birthplace::France {
            department,
            commune,
            commune_name: n.to_string(),
        }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn france(code: &str) -> Birthplace {
        check(
            BirthplaceInput {
                country_code: Some(FRANCE),
                commune_code: Some(code),
                commune_name: Some("X"),
            },
            "/b",
        )
        .unwrap()
    }

    fn dept_commune(b: Birthplace) -> (String, String) {
        match b {
            Birthplace::France {
                department,
                commune,
                ..
            } => (department, commune),
            other => panic!("not France: {other:?}"),
        }
    }

    #[test]
    fn debug_hides_the_birthplace() {
        let shown = format!("{:?}", france("44109"));
        assert!(!shown.contains("044") && !shown.contains("109"), "{shown}");
    }

    #[test]
    fn metropolitan_split() {
        assert_eq!(dept_commune(france("44109")), ("044".into(), "109".into()));
        assert_eq!(dept_commune(france("77288")), ("077".into(), "288".into()));
    }

    #[test]
    fn corsica_split_any_case() {
        assert_eq!(dept_commune(france("2A004")), ("02A".into(), "004".into()));
        assert_eq!(dept_commune(france("2b033")), ("02B".into(), "033".into()));
    }

    #[test]
    fn overseas_workaround() {
        assert_eq!(dept_commune(france("97209")), ("972".into(), "009".into()));
        assert_eq!(dept_commune(france("97411")), ("974".into(), "011".into()));
    }

    #[test]
    fn country_may_be_omitted_for_france() {
        let b = check(
            BirthplaceInput {
                country_code: None,
                commune_code: Some("44109"),
                commune_name: Some("Nantes"),
            },
            "/b",
        );
        assert_eq!(
            b.unwrap(),
            Birthplace::France {
                department: "044".into(),
                commune: "109".into(),
                commune_name: "Nantes".into()
            }
        );
    }

    #[test]
    fn abroad_sends_country_only() {
        let b = check(
            BirthplaceInput {
                country_code: Some("99109"),
                ..Default::default()
            },
            "/b",
        );
        assert_eq!(
            b.unwrap(),
            Birthplace::Abroad {
                country_code: "99109".into()
            }
        );
    }

    #[test]
    fn abroad_with_commune_is_refused() {
        let e = check(
            BirthplaceInput {
                country_code: Some("99109"),
                commune_code: Some("44109"),
                commune_name: Some("N"),
            },
            "/b",
        )
        .unwrap_err();
        let pointers: Vec<_> = e
            .iter()
            .map(|e| (e.pointer.as_str(), e.rule.as_str()))
            .collect();
        assert_eq!(
            pointers,
            [
                ("/b/commune_code", "abroad_without_commune"),
                ("/b/commune_name", "abroad_without_commune")
            ]
        );
    }

    #[test]
    fn country_and_96_codes_are_not_birth_communes() {
        for (bad, says) in [
            ("99109", "country code"),
            ("96001", "96"),
            ("99100", "country code"),
        ] {
            for country in [None, Some(FRANCE)] {
                let e = check(
                    BirthplaceInput {
                        country_code: country,
                        commune_code: Some(bad),
                        commune_name: Some("N"),
                    },
                    "/b",
                )
                .unwrap_err();
                assert_eq!(
                    (e[0].pointer.as_str(), e[0].rule.as_str()),
                    ("/b/commune_code", "insee_commune_code"),
                    "{bad}"
                );
                assert!(e[0].message.contains(says), "{bad}: {}", e[0].message);
            }
        }
    }

    #[test]
    fn bad_codes_and_names() {
        for bad in ["4410", "441090", "2C004", "A4109", "44 09", "٤٤١٠٩"] {
            let e = check(
                BirthplaceInput {
                    country_code: None,
                    commune_code: Some(bad),
                    commune_name: Some("N"),
                },
                "/b",
            )
            .unwrap_err();
            assert_eq!(e[0].rule, "insee_commune_code", "{bad}");
        }
        let e = check(
            BirthplaceInput {
                country_code: Some("99100"),
                commune_code: None,
                commune_name: Some("a;b"),
            },
            "/b",
        )
        .unwrap_err();
        assert_eq!(
            e.iter().map(|e| e.rule.as_str()).collect::<Vec<_>>(),
            ["required", "no_semicolon"]
        );
        let e = check(
            BirthplaceInput {
                country_code: Some("99100"),
                commune_code: Some("44109"),
                commune_name: Some(&"é".repeat(51)),
            },
            "/b",
        )
        .unwrap_err();
        assert_eq!(e[0].rule, "max_length");
        let e = check(
            BirthplaceInput {
                country_code: Some("12345"),
                ..Default::default()
            },
            "/b",
        )
        .unwrap_err();
        assert_eq!(e[0].rule, "insee_country_code");
        let e = check(BirthplaceInput::default(), "/b").unwrap_err();
        assert_eq!(
            (e[0].pointer.as_str(), e[0].rule.as_str()),
            ("/b/country_code", "required")
        );
    }
}
