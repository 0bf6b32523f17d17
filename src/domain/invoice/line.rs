//! One invoice line: checked, its amounts computed, and the one-cent rule (module doc of
//! `parse`) applied to it when its own total is one cent off.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::{
    amounts, nature, worker, AdjustedField, Adjustment, InvoiceDefaults, Line, LineInput, Unit,
};
use crate::domain::decimal::{cent, fmt_money, fmt_plain, parse_decimal};
use crate::domain::{dates, text, FieldError};

/// Longest description (the limit is inferred).
const MAX_DESCRIPTION: usize = 50;

/// How a line's HT/VAT split is obtained.
#[derive(Debug, Clone, Copy, PartialEq)]
enum VatSplit {
    /// From a rate in percent (0 when none given): re-computed if the line total changes.
    Rate(Decimal),
    /// Amounts given by the caller: the line total must not be changed.
    Explicit,
}

#[derive(Debug, Clone)]
pub(super) struct WorkLine {
    pub(super) nature: &'static str,
    pub(super) activity: Option<String>,
    pub(super) quantity: Decimal,
    pub(super) unit: Unit,
    pub(super) price: Decimal,
    pub(super) ttc: Decimal,
    pub(super) ht: Decimal,
    pub(super) vat: Decimal,
    split: VatSplit,
    total_given: bool,
    pub(super) start: Option<NaiveDate>,
    pub(super) end: Option<NaiveDate>,
    pub(super) description: Option<String>,
    pub(super) worker: String,
}

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

pub(super) fn overflow(pointer: String) -> FieldError {
    FieldError::new(
        pointer,
        "too_large",
        "makes the amounts too large to compute",
    )
}

/// Checks one line and computes its amounts.
pub(super) fn prepare_line(
    l: &LineInput<'_>,
    p: &str,
    defaults: &InvoiceDefaults,
    adjustments: &mut Vec<Adjustment>,
    errors: &mut Vec<FieldError>,
) -> Option<WorkLine> {
    let before = errors.len();
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
    if rate.flatten().is_some() && (ht_given.flatten().is_some() || vat_given.flatten().is_some()) {
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
    let worker = match text::non_blank(l.worker_id)
        .or(text::non_blank(defaults.worker_id.as_deref()))
    {
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
    };
    if errors.len() > before {
        return None;
    }
    let (nature, quantity, mut price, worker) = (nature?, quantity?, price?, worker?);
    let (rate, ht_given, vat_given, total_given) = (rate?, ht_given?, vat_given?, total_given?);

    let Some(mut ttc) = amounts::line_total(quantity, price) else {
        errors.push(overflow(format!("{p}/quantity")));
        return None;
    };
    if let Some(given) = total_given {
        let diff = given - ttc;
        if !diff.is_zero() {
            match (diff.abs() == cent())
                .then(|| amounts::rederive_unit_price(quantity, given, price))
                .flatten()
            {
                Some(new_price) => {
                    adjustments.push(Adjustment {
                        pointer: format!("{p}/unit_price"),
                        field: AdjustedField::UnitPrice,
                        original: fmt_plain(price),
                        adjusted: fmt_plain(new_price),
                        reason: format!(
                            "quantity × unit price gives {} but the line total_incl_tax is {}; the unit price was re-derived with 3 decimals so that Urssaf's check passes",
                            fmt_money(ttc),
                            fmt_money(given)
                        ),
                    });
                    price = new_price;
                    ttc = given;
                }
                None => {
                    errors.push(FieldError::new(
                        format!("{p}/total_incl_tax"),
                        "line_total_mismatch",
                        format!(
                            "must equal quantity × unit_price rounded to the cent ({})",
                            fmt_money(ttc)
                        ),
                    ));
                    return None;
                }
            }
        }
    }

    let split = if ht_given.is_some() || vat_given.is_some() {
        VatSplit::Explicit
    } else {
        VatSplit::Rate(rate.unwrap_or(Decimal::ZERO))
    };
    let (ht, vat) = match (split, ht_given, vat_given) {
        (VatSplit::Rate(r), _, _) => match amounts::split_vat(ttc, r) {
            Some(s) => s,
            None => {
                errors.push(overflow(format!("{p}/vat_rate")));
                return None;
            }
        },
        (_, Some(h), Some(v)) => {
            if h.checked_add(v) != Some(ttc) {
                errors.push(FieldError::new(
                    format!("{p}/vat_amount"),
                    "excl_tax_plus_vat",
                    format!(
                        "total_excl_tax + vat_amount must equal the line total incl. tax ({})",
                        fmt_money(ttc)
                    ),
                ));
                return None;
            }
            (h, v)
        }
        (_, Some(h), None) if h <= ttc => (h, ttc - h),
        (_, None, Some(v)) if v <= ttc => (ttc - v, v),
        (_, h, _) => {
            let field = if h.is_some() {
                "total_excl_tax"
            } else {
                "vat_amount"
            };
            errors.push(FieldError::new(
                format!("{p}/{field}"),
                "not_above_line_total",
                format!(
                    "must not exceed the line total incl. tax ({})",
                    fmt_money(ttc)
                ),
            ));
            return None;
        }
    };

    Some(WorkLine {
        nature,
        activity: text::non_blank(l.activity_code).map(str::to_string),
        quantity,
        unit: l.unit,
        price,
        ttc,
        ht,
        vat,
        split,
        total_given: total_given.is_some(),
        start: start?,
        end: end?,
        description,
        worker,
    })
}

/// Moves `diff` onto one adjustable line (see the module doc). Returns the adjustment made.
pub(super) fn absorb_difference(
    lines: &mut [WorkLine],
    diff: Decimal,
    prefix: &str,
    given: Decimal,
    computed: Decimal,
) -> Option<Adjustment> {
    let mut order: Vec<usize> = (0..lines.len()).collect();
    order.sort_by(|&a, &b| lines[b].ttc.cmp(&lines[a].ttc).then(a.cmp(&b)));
    for i in order {
        let line = &lines[i];
        let VatSplit::Rate(rate) = line.split else {
            continue;
        };
        if line.total_given {
            continue;
        }
        let Some(target) = line.ttc.checked_add(diff).filter(|t| *t >= Decimal::ZERO) else {
            continue;
        };
        let Some(price) = amounts::rederive_unit_price(line.quantity, target, line.price) else {
            continue;
        };
        let Some((ht, vat)) = amounts::split_vat(target, rate) else {
            continue;
        };
        let adjustment = Adjustment {
            pointer: format!("{prefix}/lines/{i}/unit_price"),
            field: AdjustedField::UnitPrice,
            original: fmt_plain(line.price),
            adjusted: fmt_plain(price),
            reason: format!(
                "the invoice total_incl_tax is {} but the line totals add up to {}; this line's unit price was re-derived with 3 decimals so that its total becomes {} and the sum matches",
                fmt_money(given),
                fmt_money(computed),
                fmt_money(target)
            ),
        };
        let line = &mut lines[i];
        line.price = price;
        line.ttc = target;
        line.ht = ht;
        line.vat = vat;
        return Some(adjustment);
    }
    None
}

pub(super) fn sum(lines: &[WorkLine], f: impl Fn(&WorkLine) -> Decimal) -> Option<Decimal> {
    lines
        .iter()
        .try_fold(Decimal::ZERO, |acc, l| acc.checked_add(f(l)))
}

impl WorkLine {
    pub(super) fn finish(self) -> Line {
        Line {
            nature_code: self.nature,
            activity_code: self.activity,
            quantity: self.quantity,
            unit: self.unit,
            unit_price: self.price,
            total_incl_tax: self.ttc,
            total_excl_tax: self.ht,
            vat: self.vat,
            service_start: self.start,
            service_end: self.end,
            description: self.description,
            worker_id: self.worker,
        }
    }
}
