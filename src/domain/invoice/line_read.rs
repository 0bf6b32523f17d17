//! One invoice line's fields as the caller wrote them, each read and checked on its own; the
//! amounts are computed from them in `line.rs`.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::{nature, worker, InvoiceDefaults, LineInput};
use crate::domain::decimal::parse_decimal;
use crate::domain::{dates, text, FieldError};

/// Longest description (the limit is inferred).
const MAX_DESCRIPTION: usize = 50;

pub(super) fn keep<T>(r: Result<T, FieldError>, errors: &mut Vec<FieldError>) -> Option<T> {
    r.map_err(|e| errors.push(e)).ok()
}

pub(super) fn opt_decimal(
    v: Option<&str>,
    dp: u32,
    pointer: String,
    errors: &mut Vec<FieldError>,
) -> Option<Option<Decimal>> {
    match text::non_blank(v) {
        None => Some(None),
        Some(t) => keep(parse_decimal(t, dp, &pointer), errors).map(Some),
    }
}

pub(super) fn opt_date(
    v: Option<&str>,
    pointer: String,
    errors: &mut Vec<FieldError>,
) -> Option<Option<NaiveDate>> {
    match text::non_blank(v) {
        None => Some(None),
        Some(t) => keep(dates::parse_date(t, &pointer), errors).map(Some),
    }
}

/// A line's fields as read, each checked on its own (`None`: refused, the error recorded;
/// `Some(None)`: an optional field left out).
pub(super) struct Read {
    pub(super) nature: Option<&'static str>,
    pub(super) quantity: Option<Decimal>,
    pub(super) price: Option<Decimal>,
    pub(super) rate: Option<Option<Decimal>>,
    pub(super) ht_given: Option<Option<Decimal>>,
    pub(super) vat_given: Option<Option<Decimal>>,
    pub(super) total_given: Option<Option<Decimal>>,
    pub(super) start: Option<Option<NaiveDate>>,
    pub(super) end: Option<Option<NaiveDate>>,
    pub(super) description: Option<String>,
    pub(super) worker: Option<String>,
}

impl Read {
    pub(super) fn parse(
        l: &LineInput<'_>,
        p: &str,
        defaults: &InvoiceDefaults,
        errors: &mut Vec<FieldError>,
    ) -> Read {
        let nature = nature::nature_code(l.nature_code);
        if nature.is_none() {
            errors.push(FieldError::new(
                format!("{p}/nature_code"),
                "nature_code",
                "must be an Urssaf nature code: 10, 20, … 270 (e.g. 60 housework, 70 gardening, 100 tutoring)",
            ));
        }
        let quantity = keep(
            parse_decimal(l.quantity, 2, &format!("{p}/quantity")),
            errors,
        );
        if quantity.is_some_and(|q| q.is_zero()) {
            errors.push(FieldError::new(
                format!("{p}/quantity"),
                "positive",
                "must be greater than 0",
            ));
        }
        let price = keep(
            parse_decimal(l.unit_price, 3, &format!("{p}/unit_price")),
            errors,
        );
        let rate = opt_decimal(l.vat_rate, 2, format!("{p}/vat_rate"), errors);
        if rate.flatten().is_some_and(|r| r > Decimal::ONE_HUNDRED) {
            errors.push(FieldError::new(
                format!("{p}/vat_rate"),
                "vat_rate",
                "must be a percentage between 0 and 100",
            ));
        }
        let ht_given = opt_decimal(l.total_excl_tax, 2, format!("{p}/total_excl_tax"), errors);
        let vat_given = opt_decimal(l.vat_amount, 2, format!("{p}/vat_amount"), errors);
        let total_given = opt_decimal(l.total_incl_tax, 2, format!("{p}/total_incl_tax"), errors);
        if rate.flatten().is_some()
            && (ht_given.flatten().is_some() || vat_given.flatten().is_some())
        {
            errors.push(FieldError::new(
                format!("{p}/vat_rate"),
                "vat_rate_or_amounts",
                "give either vat_rate or total_excl_tax/vat_amount, not both",
            ));
        }
        let start = opt_date(l.service_start, format!("{p}/service_start"), errors);
        let end = opt_date(l.service_end, format!("{p}/service_end"), errors);
        let description = text::non_blank(l.description).map(str::to_string);
        if description
            .as_deref()
            .is_some_and(|d| text::char_len(d) > MAX_DESCRIPTION)
        {
            errors.push(FieldError::new(
                format!("{p}/description"),
                "max_length",
                format!("must be at most {MAX_DESCRIPTION} characters"),
            ));
        }
        let worker = worker_of(l, p, defaults, errors);
        Read {
            nature,
            quantity,
            price,
            rate,
            ht_given,
            vat_given,
            total_given,
            start,
            end,
            description,
            worker,
        }
    }
}

/// The line's worker id, else the tenant's default.
fn worker_of(
    l: &LineInput<'_>,
    p: &str,
    defaults: &InvoiceDefaults,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    match text::non_blank(l.worker_id).or(text::non_blank(defaults.worker_id.as_deref())) {
        Some(w) => keep(
            worker::check_worker_id(w, &format!("{p}/worker_id")),
            errors,
        ),
        None => {
            errors.push(FieldError::new(
                format!("{p}/worker_id"),
                "required",
                "is required (no default worker id is configured): SAP + 9-digit NOVA number or SIR + 14-digit SIRET",
            ));
            None
        }
    }
}
