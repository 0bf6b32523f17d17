//! The whole invoice: every local check, the totals, and the one-cent rule.
//!
//! Amounts follow Urssaf's own arithmetic (urssaf-atp.md §5.2): line TTC = quantity × unit
//! price rounded to the cent (halves away from zero); line HT = TTC / (1 + rate) rounded to the
//! cent and VAT = TTC − HT; invoice TTC = Σ line TTC; invoice HT = Σ line HT.
//!
//! One-cent strategy: when the caller's invoice `total_incl_tax` differs from Σ line TTC by at
//! most 0.01 € per line (the most rounding can drift), the whole difference is moved onto ONE
//! line — the largest line whose amounts the caller did not fix (no explicit line total, no
//! explicit HT/VAT), ties to the lowest index — by re-deriving its unit price with 3 decimals
//! so that quantity × price rounds to the new line total. A line's own `total_incl_tax` one
//! cent off quantity × unit price is resolved the same way on that line. Each change is
//! reported as an [`Adjustment`]; when no 3-decimal price works, or the gap is larger, the
//! invoice is refused with rule `total_mismatch` / `line_total_mismatch`.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::line::{self, WorkLine};
use super::line_read;
use super::totals::Totals;
use super::{period, Deposit, DepositInput, Invoice, InvoiceDefaults, InvoiceInput};
use crate::domain::decimal::{cent, fmt_money, parse_decimal};
use crate::domain::{dates, text, FieldError, Parsed};

/// Longest invoice number and client id.
const MAX_INVOICE_NUMBER: usize = 50;
const MAX_CLIENT_ID: usize = 50;

pub(super) fn invoice(
    inv: &InvoiceInput<'_>,
    pointer_prefix: &str,
    defaults: &InvoiceDefaults,
    today: NaiveDate,
) -> Result<Invoice, Vec<FieldError>> {
    let p = pointer_prefix;
    let mut errors = Vec::new();
    let mut adjustments = Vec::new();

    let head = Head::parse(inv, p, today, &mut errors);
    if inv.lines.is_empty() {
        errors.push(FieldError::new(
            format!("{p}/lines"),
            "required",
            "must contain at least one line",
        ));
        return Err(errors);
    }
    let prepared: Vec<Option<WorkLine>> = inv
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            line::prepare_line(
                l,
                &format!("{p}/lines/{i}"),
                defaults,
                &mut adjustments,
                &mut errors,
            )
        })
        .collect();
    let lines: Option<Vec<WorkLine>> = prepared.into_iter().collect();

    // Employment period: given on the invoice, else spanning the lines' dates.
    let given = GivenPeriod {
        start: line_read::opt_date(inv.service_start, format!("{p}/service_start"), &mut errors)
            .flatten(),
        end: line_read::opt_date(inv.service_end, format!("{p}/service_end"), &mut errors)
            .flatten(),
    };
    if let Some(lines) = &lines {
        check_period(inv, p, lines, given, today, &mut errors);
    }

    let deposit = inv
        .deposit
        .as_ref()
        .map(|d| parse_deposit(d, p, today, &mut errors));
    let total_ttc_given = line_read::opt_decimal(
        inv.total_incl_tax,
        2,
        format!("{p}/total_incl_tax"),
        &mut errors,
    );
    let total_ht_given = line_read::opt_decimal(
        inv.total_excl_tax,
        2,
        format!("{p}/total_excl_tax"),
        &mut errors,
    );

    let Some(mut lines) = lines else {
        return Err(errors);
    };
    let mut totals = Totals {
        p,
        tolerance: cent() * Decimal::from(lines.len()),
        adjustments: &mut adjustments,
        errors: &mut errors,
    };
    let Some(ttc) = totals.incl_tax(&mut lines, total_ttc_given.flatten()) else {
        return Err(errors);
    };
    let ht = totals.excl_tax(&lines, total_ht_given.flatten());
    let deposit = check_deposit(deposit, ttc, p, &mut errors);

    let (Some(invoice_date), Some(birth), true) = (head.date, head.birth, errors.is_empty()) else {
        return Err(errors);
    };
    let (Some(start), Some(end)) = given.or_span_of(&lines) else {
        return Err(errors);
    };

    Ok(Invoice {
        number: head.number.to_string(),
        date: invoice_date,
        client_id: head.client_id.to_string(),
        client_birth_date: birth,
        deposit,
        lines: lines.into_iter().map(WorkLine::finish).collect(),
        total_incl_tax: ttc,
        total_excl_tax: ht,
        service_start: start,
        service_end: end,
        adjustments,
        parsed: Parsed(()),
    })
}

/// The invoice's own fields: number, date and the client it bills.
struct Head<'a> {
    number: &'a str,
    date: Option<NaiveDate>,
    client_id: &'a str,
    birth: Option<NaiveDate>,
}

impl<'a> Head<'a> {
    fn parse(
        inv: &InvoiceInput<'a>,
        p: &str,
        today: NaiveDate,
        errors: &mut Vec<FieldError>,
    ) -> Head<'a> {
        let number = inv.invoice_number.trim();
        let number_len = text::char_len(number);
        if number_len == 0 || number_len > MAX_INVOICE_NUMBER {
            errors.push(FieldError::new(
                format!("{p}/invoice_number"),
                "invoice_number",
                format!("must be 1 to {MAX_INVOICE_NUMBER} characters"),
            ));
        }
        let date = line_read::keep(
            dates::parse_date(inv.invoice_date, &format!("{p}/invoice_date")),
            errors,
        );
        let client_id = inv.client_id.trim();
        if client_id.is_empty() || text::char_len(client_id) > MAX_CLIENT_ID {
            errors.push(FieldError::new(
                format!("{p}/client_id"),
                "client_id",
                "must be the client id returned at registration",
            ));
        }
        let birth = line_read::keep(
            dates::parse_date(inv.client_birth_date, &format!("{p}/client_birth_date")),
            errors,
        );
        if birth.is_some_and(|b| b > today) {
            errors.push(FieldError::new(
                format!("{p}/client_birth_date"),
                "not_in_future",
                "must not be in the future",
            ));
        }
        Head {
            number,
            date,
            client_id,
            birth,
        }
    }
}

/// The employment period as the invoice gives it (either bound may be left to the lines).
#[derive(Clone, Copy)]
struct GivenPeriod {
    start: Option<NaiveDate>,
    end: Option<NaiveDate>,
}

impl GivenPeriod {
    /// Each bound given, else the earliest start and the latest end of the lines.
    fn or_span_of(self, lines: &[WorkLine]) -> (Option<NaiveDate>, Option<NaiveDate>) {
        (
            self.start
                .or_else(|| lines.iter().filter_map(|l| l.start).min()),
            self.end
                .or_else(|| lines.iter().filter_map(|l| l.end).max()),
        )
    }
}

/// The period is known (given or spanned by the lines), in order, not in the future, and
/// holds every line's dates.
fn check_period(
    inv: &InvoiceInput<'_>,
    p: &str,
    lines: &[WorkLine],
    given: GivenPeriod,
    today: NaiveDate,
    errors: &mut Vec<FieldError>,
) {
    let (start, end) = given.or_span_of(lines);
    for (value, field) in [(start, "service_start"), (end, "service_end")] {
        if value.is_none()
            && text::non_blank(if field == "service_start" {
                inv.service_start
            } else {
                inv.service_end
            })
            .is_none()
        {
            errors.push(FieldError::new(
                format!("{p}/{field}"),
                "required",
                format!("is required: give {field} on the invoice or on the lines"),
            ));
        }
    }
    if let (Some(s), Some(e)) = (start, end) {
        errors.extend(period::check_period(
            s,
            e,
            today,
            &format!("{p}/service_start"),
            &format!("{p}/service_end"),
        ));
    }
    for (i, l) in lines.iter().enumerate() {
        let lp = format!("{p}/lines/{i}");
        if let (Some(s), Some(e)) = (l.start, l.end) {
            if e < s {
                errors.push(FieldError::new(
                    format!("{lp}/service_end"),
                    "end_before_start",
                    "must not be before the start date",
                ));
            }
        }
        for (d, field) in [(l.start, "service_start"), (l.end, "service_end")] {
            let Some(d) = d else { continue };
            if start.is_some_and(|s| d < s) || end.is_some_and(|e| d > e) {
                errors.push(FieldError::new(
                    format!("{lp}/{field}"),
                    "within_period",
                    "must lie within the invoice's service_start..service_end",
                ));
            } else if d > today {
                errors.push(FieldError::new(
                    format!("{lp}/{field}"),
                    "not_in_future",
                    "must not be in the future",
                ));
            }
        }
    }
}

/// The deposit's amount and payment date, each when readable.
fn parse_deposit(
    d: &DepositInput<'_>,
    p: &str,
    today: NaiveDate,
    errors: &mut Vec<FieldError>,
) -> (Option<Decimal>, Option<NaiveDate>) {
    let amount = line_read::keep(
        parse_decimal(d.amount, 2, &format!("{p}/deposit/amount")),
        errors,
    );
    let paid_on = line_read::keep(
        dates::parse_date(d.paid_on, &format!("{p}/deposit/paid_on")),
        errors,
    );
    if paid_on.is_some_and(|d| d > today) {
        errors.push(FieldError::new(
            format!("{p}/deposit/paid_on"),
            "not_in_future",
            "must not be in the future",
        ));
    }
    (amount, paid_on)
}

/// A deposit is at most half the invoice total.
fn check_deposit(
    deposit: Option<(Option<Decimal>, Option<NaiveDate>)>,
    ttc: Decimal,
    p: &str,
    errors: &mut Vec<FieldError>,
) -> Option<Deposit> {
    let Some((Some(amount), paid_on)) = deposit else {
        return None;
    };
    if amount
        .checked_mul(Decimal::TWO)
        .is_none_or(|twice| twice > ttc)
    {
        errors.push(FieldError::new(
            format!("{p}/deposit/amount"),
            "deposit_at_most_half",
            format!(
                "must not exceed 50 % of the invoice total ({})",
                fmt_money(ttc)
            ),
        ));
    }
    paid_on.map(|paid_on| Deposit { amount, paid_on })
}
