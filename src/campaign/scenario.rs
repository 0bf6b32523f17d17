//! What the campaign sends: the test person, the invoice, and the service dates Urssaf will
//! accept for it.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime};
use regex::Regex;
use std::sync::LazyLock;

use crate::api::dto::clients::RegisterClientRequest;
use crate::domain::invoice::{InvoiceInput, LineInput, Unit};

/// Country of birth used by `--born-abroad`: Spain (INSEE 99134).
pub const ABROAD_COUNTRY: &str = "99134";

/// The fictitious person of Urssaf's sandbox as public integrations register it
/// (urssaf-atp.md §6: born 29/03/1980 in Nantes, 1 rue de la Paix 44000 Nantes, IBAN
/// FR76 3000 4000 0312 3456 7890 143, BIC BNPAFRPP, phone 06 05 04 03 02). The reference does
/// not give the names and e-mail: these are placeholders.
pub fn default_identity() -> serde_json::Value {
    serde_json::json!({
        "title": "mr",
        "birth_name": "Durand",
        "first_names": "Jean",
        "birth_date": "1980-03-29",
        "birth_place": {"country_code": "99100", "commune_code": "44109", "commune_name": "Nantes"},
        "mobile_phone": "0605040302",
        "email": "jean.durand@example.org",
        "address": {"street_number": "1", "street_type": "R", "street_name": "DE LA PAIX",
                    "commune_code": "44109", "commune_name": "NANTES", "postal_code": "44000",
                    "country_code": "99100"},
        "bank_account": {"iban": "FR7630004000031234567890143", "bic": "BNPAFRPP",
                         "holder": "M Jean Durand"}
    })
}

/// The identity to register: a file in the shape of `POST /v1/clients`, or the default one;
/// `born_abroad` replaces the birthplace by a country abroad.
pub fn identity(file: Option<&str>, born_abroad: bool) -> Result<RegisterClientRequest, String> {
    let mut value = match file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("--identity {path}: cannot read: {e}"))?;
            serde_json::from_str::<serde_json::Value>(&text)
                .map_err(|e| format!("--identity {path}: not JSON: {e}"))?
        }
        None => default_identity(),
    };
    if born_abroad {
        value["birth_place"] = serde_json::json!({ "country_code": ABROAD_COUNTRY });
    }
    serde_json::from_value(value).map_err(|e| {
        let origin = file.unwrap_or("the default identity");
        format!("--identity {origin}: not the body of POST /v1/clients: {e}")
    })
}

/// The invoice variants of the options.
#[derive(Debug, Clone, Copy, Default)]
pub struct InvoiceShape {
    pub multi_line: bool,
    pub one_cent: bool,
}

/// One invoice line, owned.
#[derive(Debug, Clone)]
pub struct LineSpec {
    pub nature: &'static str,
    pub quantity: &'static str,
    pub unit: Unit,
    pub unit_price: &'static str,
    pub service_start: Option<String>,
    pub service_end: Option<String>,
    pub description: &'static str,
}

/// The invoice the campaign submits (dates as `YYYY-MM-DD`).
#[derive(Debug, Clone)]
pub struct InvoiceSpec {
    pub number: String,
    pub date: String,
    pub client_id: String,
    pub client_birth_date: String,
    pub service_start: String,
    pub service_end: String,
    pub total_incl_tax: Option<&'static str>,
    pub lines: Vec<LineSpec>,
}

impl InvoiceSpec {
    /// `start..=end` is the service window; the invoice is dated `end`.
    pub fn new(
        shape: InvoiceShape,
        number: String,
        client_id: String,
        client_birth_date: String,
        start: NaiveDate,
        end: NaiveDate,
    ) -> InvoiceSpec {
        let day = |d: NaiveDate| Some(d.to_string());
        let line =
            |nature, quantity, unit, unit_price, on: Option<NaiveDate>, description| LineSpec {
                nature,
                quantity,
                unit,
                unit_price,
                service_start: on.and_then(day),
                service_end: on.and_then(day),
                description,
            };
        let (lines, total_incl_tax) = match (shape.multi_line, shape.one_cent) {
            // Three thirds of 100.00: the lines sum to 99.99 and the gateway moves the cent onto
            // one unit price (3 decimals), as Urssaf's arithmetic requires.
            (multi, true) => {
                let natures = if multi {
                    ["60", "70", "80"]
                } else {
                    ["60", "60", "60"]
                };
                let days = [Some(start), Some(end), None];
                (
                    natures
                        .iter()
                        .zip(days)
                        .map(|(n, on)| {
                            line(n, "1", Unit::Hour, "33.33", on, "un tiers de 100,00 €")
                        })
                        .collect(),
                    Some("100.00"),
                )
            }
            (true, false) => (
                vec![
                    line("60", "2", Unit::Hour, "25.00", Some(start), "ménage"),
                    line("70", "1.5", Unit::Hour, "30.00", Some(end), "jardinage"),
                    line("80", "1", Unit::FlatRate, "20.00", None, "petit bricolage"),
                ],
                None,
            ),
            (false, false) => (
                vec![line("60", "2", Unit::Hour, "25.00", None, "ménage")],
                None,
            ),
        };
        InvoiceSpec {
            number,
            date: end.to_string(),
            client_id,
            client_birth_date,
            service_start: start.to_string(),
            service_end: end.to_string(),
            total_incl_tax,
            lines,
        }
    }

    /// The fields as the gateway's invoice rules read them.
    pub fn input(&self) -> InvoiceInput<'_> {
        InvoiceInput {
            invoice_number: &self.number,
            invoice_date: &self.date,
            client_id: &self.client_id,
            client_birth_date: &self.client_birth_date,
            deposit: None,
            lines: self
                .lines
                .iter()
                .map(|l| LineInput {
                    nature_code: l.nature,
                    quantity: l.quantity,
                    unit: l.unit,
                    unit_price: l.unit_price,
                    service_start: l.service_start.as_deref(),
                    service_end: l.service_end.as_deref(),
                    description: Some(l.description),
                    ..LineInput::default()
                })
                .collect(),
            total_incl_tax: self.total_incl_tax,
            total_excl_tax: None,
            service_start: Some(&self.service_start),
            service_end: Some(&self.service_end),
        }
    }
}

/// `dd/mm/yyyy`, optionally followed by `hh:mm[:ss]`.
static ACTIVATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b([0-9]{2})/([0-9]{2})/([0-9]{4})(?:[ T]+([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?)?")
        .expect("static regex")
});

/// The instant from which Urssaf accepts services, read from the client status description
/// (`Transmission DP possible à partir du 02/11/2026 10:15:00`, UTC); midnight when only a
/// day is written.
pub fn activation_instant(description: &str) -> Option<NaiveDateTime> {
    ACTIVATION.captures_iter(description).find_map(|c| {
        let num = |i: usize| c.get(i).and_then(|m| m.as_str().parse::<u32>().ok());
        let day = NaiveDate::from_ymd_opt(num(3)? as i32, num(2)?, num(1)?)?;
        let time = match (num(4), num(5)) {
            (Some(h), Some(m)) => NaiveTime::from_hms_opt(h, m, num(6).unwrap_or(0))?,
            _ => NaiveTime::MIN,
        };
        Some(day.and_time(time))
    })
}

/// Service days Urssaf accepts now for a client active from `active_from`: none before that
/// instant (invoices carry whole days, sent as midnight UTC, so a client activated during a
/// day can be invoiced from the next one), none in the future, all in one calendar month (the
/// current one). `Err` gives the first acceptable day when there is none yet.
pub fn service_window(
    active_from: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> Result<(NaiveDate, NaiveDate), NaiveDate> {
    let today = now.date();
    let month_start = today.with_day(1).unwrap_or(today);
    let first_day = match active_from {
        Some(at) if at.time() == NaiveTime::MIN => at.date(),
        Some(at) => at.date() + Duration::days(1),
        None => today,
    };
    let start = first_day.max(month_start);
    if start > today {
        Err(first_day)
    } else {
        Ok((start, today))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::invoice::{Invoice, InvoiceDefaults};

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn activation_read_from_the_description() {
        assert_eq!(
            activation_instant("Transmission DP possible à partir du 02/11/2026 10:15:00"),
            Some(at("2026-11-02 10:15:00"))
        );
        assert_eq!(
            activation_instant("à partir du 02/11/2026 10:15"),
            Some(at("2026-11-02 10:15:00"))
        );
        assert_eq!(
            activation_instant("depuis le 05/03/2026"),
            Some(at("2026-03-05 00:00:00"))
        );
        assert_eq!(activation_instant("appareillage en cours"), None);
        assert_eq!(activation_instant("le 31/02/2026"), None);
    }

    #[test]
    fn window_starts_after_the_activation_instant_within_the_month() {
        let now = at("2026-11-30 08:00:00");
        // Activated long ago: the whole current month.
        assert_eq!(
            service_window(Some(at("2026-01-10 09:00:00")), now),
            Ok((day("2026-11-01"), day("2026-11-30")))
        );
        // Activated during an earlier day of the month: from the next day.
        assert_eq!(
            service_window(Some(at("2026-11-12 09:00:00")), now),
            Ok((day("2026-11-13"), day("2026-11-30")))
        );
        // Activated at midnight: that day counts.
        assert_eq!(
            service_window(Some(at("2026-11-30 00:00:00")), now),
            Ok((day("2026-11-30"), day("2026-11-30")))
        );
        // Activated today at 07:59: nothing before tomorrow.
        assert_eq!(
            service_window(Some(at("2026-11-30 07:59:00")), now),
            Err(day("2026-12-01"))
        );
        // No date given: today only.
        assert_eq!(
            service_window(None, now),
            Ok((day("2026-11-30"), day("2026-11-30")))
        );
    }

    fn parses(shape: InvoiceShape) -> Invoice {
        let spec = InvoiceSpec::new(
            shape,
            "CAMP-1".into(),
            "c0ffee".into(),
            "1980-03-29".into(),
            day("2026-11-01"),
            day("2026-11-30"),
        );
        let defaults = InvoiceDefaults {
            worker_id: Some("SAP123456789".into()),
        };
        Invoice::parse(&spec.input(), "/invoices/0", &defaults, day("2026-11-30"))
            .unwrap_or_else(|e| panic!("{shape:?}: {e:?}"))
    }

    #[test]
    fn every_invoice_variant_passes_the_gateway_rules() {
        let one = parses(InvoiceShape::default());
        assert_eq!(
            (one.lines.len(), one.total_incl_tax),
            (1, "50.00".parse().unwrap())
        );
        let multi = parses(InvoiceShape {
            multi_line: true,
            one_cent: false,
        });
        assert_eq!(multi.lines.len(), 3);
        assert_eq!(multi.total_incl_tax, "115.00".parse().unwrap());
        for multi_line in [false, true] {
            let cent = parses(InvoiceShape {
                multi_line,
                one_cent: true,
            });
            assert_eq!(cent.total_incl_tax, "100.00".parse().unwrap());
            assert_eq!(
                cent.adjustments.len(),
                1,
                "the cent is moved onto one price"
            );
        }
    }

    #[test]
    fn identities() {
        let default = identity(None, false).unwrap();
        let today = day("2026-11-30");
        assert!(crate::domain::client::Registration::parse(&default.input(), today).is_ok());
        let abroad = identity(None, true).unwrap();
        let parsed = crate::domain::client::Registration::parse(&abroad.input(), today);
        assert!(parsed.is_ok(), "{parsed:?}");
        let err = identity(Some("/nonexistent/identity.json"), false).unwrap_err();
        assert!(err.starts_with("--identity /nonexistent/identity.json: cannot read"));
    }
}
