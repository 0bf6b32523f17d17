//! One invoice line: its fields read (`line_read.rs`), its amounts computed, and the one-cent
//! rule (module doc of `parse`) applied to it when its own total is one cent off.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::line_read::Read;
use super::{amounts, AdjustedField, Adjustment, InvoiceDefaults, Line, LineInput, Unit};
use crate::domain::decimal::{cent, fmt_money, fmt_plain};
use crate::domain::{text, FieldError};

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
    let read = Read::parse(l, p, defaults, errors);
    if errors.len() > before {
        return None;
    }
    let (nature, quantity, price, worker) =
        (read.nature?, read.quantity?, read.price?, read.worker?);
    let (rate, ht_given, vat_given, total_given) = (
        read.rate?,
        read.ht_given?,
        read.vat_given?,
        read.total_given?,
    );

    let (ttc, price) = line_total(quantity, price, total_given, p, adjustments, errors)?;
    let split = if ht_given.is_some() || vat_given.is_some() {
        VatSplit::Explicit
    } else {
        VatSplit::Rate(rate.unwrap_or(Decimal::ZERO))
    };
    let (ht, vat) = split_amounts(ttc, split, ht_given, vat_given, p, errors)?;

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
        start: read.start?,
        end: read.end?,
        description: read.description,
        worker,
    })
}

/// The line total incl. tax and the unit price that gives it: quantity × unit price, or the
/// caller's total when one cent off it (the unit price re-derived, reported).
fn line_total(
    quantity: Decimal,
    price: Decimal,
    total_given: Option<Decimal>,
    p: &str,
    adjustments: &mut Vec<Adjustment>,
    errors: &mut Vec<FieldError>,
) -> Option<(Decimal, Decimal)> {
    let Some(ttc) = amounts::line_total(quantity, price) else {
        errors.push(overflow(format!("{p}/quantity")));
        return None;
    };
    let Some(given) = total_given.filter(|given| *given != ttc) else {
        return Some((ttc, price));
    };
    let diff = given - ttc;
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
            Some((given, new_price))
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
            None
        }
    }
}

/// The line's HT and VAT: from the rate, or the caller's amounts checked against the total.
fn split_amounts(
    ttc: Decimal,
    split: VatSplit,
    ht_given: Option<Decimal>,
    vat_given: Option<Decimal>,
    p: &str,
    errors: &mut Vec<FieldError>,
) -> Option<(Decimal, Decimal)> {
    match (split, ht_given, vat_given) {
        (VatSplit::Rate(r), _, _) => {
            let split = amounts::split_vat(ttc, r);
            if split.is_none() {
                errors.push(overflow(format!("{p}/vat_rate")));
            }
            split
        }
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
            Some((h, v))
        }
        (_, Some(h), None) if h <= ttc => Some((h, ttc - h)),
        (_, None, Some(v)) if v <= ttc => Some((ttc - v, v)),
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
            None
        }
    }
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
