//! Invoices: `InvoiceInput` → Urssaf's `InputDemandePaiement`, with every local check and the
//! one-cent reconciliation.
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

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use crate::api::dto::payment_requests::{Adjustment, InvoiceInput, LineInput, Unit};
use crate::domain::decimal::{cent, fmt_money, fmt_plain, parse_decimal};
use crate::domain::invoice::{amounts, nature, period, worker};
use crate::domain::{dates, text, FieldError};
use crate::urssaf::wire;

/// What the tenant (provider) configured once for all its invoices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantDefaults {
    /// Sent as `idTiersFacturation` (Urssaf requires a value but does not use it).
    pub billing_id: String,
    /// Default `complement2` (worker id) for lines that give none.
    pub worker_id: Option<String>,
}

/// An invoice ready to send, with the changes the gateway made.
#[derive(Debug, Clone, PartialEq)]
pub struct PreparedInvoice {
    pub wire: wire::InputDemandePaiement,
    pub adjustments: Vec<Adjustment>,
}

/// Longest invoice number, client id and description.
const MAX_INVOICE_NUMBER: usize = 50;
const MAX_CLIENT_ID: usize = 50;
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
struct Line {
    nature: &'static str,
    activity: Option<String>,
    quantity: Decimal,
    unit: Unit,
    price: Decimal,
    ttc: Decimal,
    ht: Decimal,
    vat: Decimal,
    split: VatSplit,
    total_given: bool,
    start: Option<NaiveDate>,
    end: Option<NaiveDate>,
    description: Option<String>,
    worker: String,
}

fn keep<T>(r: Result<T, FieldError>, errors: &mut Vec<FieldError>) -> Option<T> {
    r.map_err(|e| errors.push(e)).ok()
}

fn opt_decimal(
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

fn opt_date(
    v: Option<&str>,
    pointer: String,
    errors: &mut Vec<FieldError>,
) -> Option<Option<NaiveDate>> {
    match text::non_blank(v) {
        None => Some(None),
        Some(t) => keep(dates::parse_date(t, &pointer), errors).map(Some),
    }
}

fn overflow(pointer: String) -> FieldError {
    FieldError::new(
        pointer,
        "too_large",
        "makes the amounts too large to compute",
    )
}

/// Checks one line and computes its amounts.
fn prepare_line(
    l: &LineInput,
    p: &str,
    tenant: &TenantDefaults,
    adjustments: &mut Vec<Adjustment>,
    errors: &mut Vec<FieldError>,
) -> Option<Line> {
    let before = errors.len();
    let nature = nature::nature_code(&l.nature_code);
    if nature.is_none() {
        errors.push(FieldError::new(
            format!("{p}/nature_code"),
            "nature_code",
            "must be an Urssaf nature code: 10, 20, … 270 (e.g. 60 housework, 70 gardening, 100 tutoring)",
        ));
    }
    let quantity = keep(
        parse_decimal(&l.quantity, 2, &format!("{p}/quantity")),
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
        parse_decimal(&l.unit_price, 3, &format!("{p}/unit_price")),
        errors,
    );
    let rate = opt_decimal(l.vat_rate.as_deref(), 2, format!("{p}/vat_rate"), errors);
    if rate.flatten().is_some_and(|r| r > Decimal::ONE_HUNDRED) {
        errors.push(FieldError::new(
            format!("{p}/vat_rate"),
            "vat_rate",
            "must be a percentage between 0 and 100",
        ));
    }
    let ht_given = opt_decimal(
        l.total_excl_tax.as_deref(),
        2,
        format!("{p}/total_excl_tax"),
        errors,
    );
    let vat_given = opt_decimal(
        l.vat_amount.as_deref(),
        2,
        format!("{p}/vat_amount"),
        errors,
    );
    let total_given = opt_decimal(
        l.total_incl_tax.as_deref(),
        2,
        format!("{p}/total_incl_tax"),
        errors,
    );
    if rate.flatten().is_some() && (ht_given.flatten().is_some() || vat_given.flatten().is_some()) {
        errors.push(FieldError::new(
            format!("{p}/vat_rate"),
            "vat_rate_or_amounts",
            "give either vat_rate or total_excl_tax/vat_amount, not both",
        ));
    }
    let start = opt_date(
        l.service_start.as_deref(),
        format!("{p}/service_start"),
        errors,
    );
    let end = opt_date(l.service_end.as_deref(), format!("{p}/service_end"), errors);
    let description = text::non_blank(l.description.as_deref()).map(str::to_string);
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
    let worker = match text::non_blank(l.worker_id.as_deref())
        .or(text::non_blank(tenant.worker_id.as_deref()))
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
                        field: "mntUnitaireTTC".into(),
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

    Some(Line {
        nature,
        activity: text::non_blank(l.activity_code.as_deref()).map(str::to_string),
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
fn absorb_difference(
    lines: &mut [Line],
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
            field: "mntUnitaireTTC".into(),
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

fn sum(lines: &[Line], f: impl Fn(&Line) -> Decimal) -> Option<Decimal> {
    lines
        .iter()
        .try_fold(Decimal::ZERO, |acc, l| acc.checked_add(f(l)))
}

/// Checks an invoice completely and builds Urssaf's `InputDemandePaiement`.
///
/// `pointer_prefix` locates the invoice in the caller's request (e.g. `/invoices/3`); every
/// error pointer starts with it. `now` bounds the dates (whole days, UTC: an end date of today
/// is allowed). Returns every failing field at once.
pub fn invoice_to_wire(
    inv: &InvoiceInput,
    pointer_prefix: &str,
    tenant: &TenantDefaults,
    now: DateTime<Utc>,
) -> Result<PreparedInvoice, Vec<FieldError>> {
    let p = pointer_prefix;
    let today = now.date_naive();
    let mut errors = Vec::new();
    let mut adjustments = Vec::new();

    let invoice_number = inv.invoice_number.trim();
    let number_len = text::char_len(invoice_number);
    if number_len == 0 || number_len > MAX_INVOICE_NUMBER {
        errors.push(FieldError::new(
            format!("{p}/invoice_number"),
            "invoice_number",
            format!("must be 1 to {MAX_INVOICE_NUMBER} characters"),
        ));
    }
    let invoice_date = keep(
        dates::parse_date(&inv.invoice_date, &format!("{p}/invoice_date")),
        &mut errors,
    );
    let client_id = inv.client_id.trim();
    if client_id.is_empty() || text::char_len(client_id) > MAX_CLIENT_ID {
        errors.push(FieldError::new(
            format!("{p}/client_id"),
            "client_id",
            "must be the client id returned at registration",
        ));
    }
    let birth = keep(
        dates::parse_date(&inv.client_birth_date, &format!("{p}/client_birth_date")),
        &mut errors,
    );
    if birth.is_some_and(|b| b > today) {
        errors.push(FieldError::new(
            format!("{p}/client_birth_date"),
            "not_in_future",
            "must not be in the future",
        ));
    }

    if inv.lines.is_empty() {
        errors.push(FieldError::new(
            format!("{p}/lines"),
            "required",
            "must contain at least one line",
        ));
        return Err(errors);
    }
    let prepared: Vec<Option<Line>> = inv
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            prepare_line(
                l,
                &format!("{p}/lines/{i}"),
                tenant,
                &mut adjustments,
                &mut errors,
            )
        })
        .collect();
    let lines: Option<Vec<Line>> = prepared.into_iter().collect();

    // Employment period: given on the invoice, else spanning the lines' dates.
    let given_start = opt_date(
        inv.service_start.as_deref(),
        format!("{p}/service_start"),
        &mut errors,
    )
    .flatten();
    let given_end = opt_date(
        inv.service_end.as_deref(),
        format!("{p}/service_end"),
        &mut errors,
    )
    .flatten();
    if let Some(lines) = &lines {
        let start = given_start.or_else(|| lines.iter().filter_map(|l| l.start).min());
        let end = given_end.or_else(|| lines.iter().filter_map(|l| l.end).max());
        for (value, field) in [(start, "service_start"), (end, "service_end")] {
            if value.is_none()
                && text::non_blank(if field == "service_start" {
                    inv.service_start.as_deref()
                } else {
                    inv.service_end.as_deref()
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

    let deposit = inv.deposit.as_ref().map(|d| {
        let amount = keep(
            parse_decimal(&d.amount, 2, &format!("{p}/deposit/amount")),
            &mut errors,
        );
        let paid_on = keep(
            dates::parse_date(&d.paid_on, &format!("{p}/deposit/paid_on")),
            &mut errors,
        );
        if paid_on.is_some_and(|d| d > today) {
            errors.push(FieldError::new(
                format!("{p}/deposit/paid_on"),
                "not_in_future",
                "must not be in the future",
            ));
        }
        (amount, paid_on)
    });
    let total_ttc_given = opt_decimal(
        inv.total_incl_tax.as_deref(),
        2,
        format!("{p}/total_incl_tax"),
        &mut errors,
    );
    let total_ht_given = opt_decimal(
        inv.total_excl_tax.as_deref(),
        2,
        format!("{p}/total_excl_tax"),
        &mut errors,
    );

    let Some(mut lines) = lines else {
        return Err(errors);
    };
    let tolerance = cent() * Decimal::from(lines.len());

    // Invoice total incl. tax.
    let Some(mut ttc) = sum(&lines, |l| l.ttc) else {
        errors.push(overflow(format!("{p}/lines")));
        return Err(errors);
    };
    if let Some(Some(given)) = total_ttc_given {
        let diff = given - ttc;
        if !diff.is_zero() {
            let adjusted = (diff.abs() <= tolerance)
                .then(|| absorb_difference(&mut lines, diff, p, given, ttc))
                .flatten();
            match adjusted {
                Some(a) => {
                    adjustments.push(a);
                    ttc = given;
                }
                None => errors.push(FieldError::new(
                    format!("{p}/total_incl_tax"),
                    "total_mismatch",
                    format!(
                        "must equal the sum of the line totals ({}); a gap of up to 0.01 per line is fixed by adjusting one unit price, but none could absorb this one",
                        fmt_money(ttc)
                    ),
                )),
            }
        }
    }
    if ttc.is_zero() {
        errors.push(FieldError::new(
            format!("{p}/lines"),
            "positive_total",
            "the invoice total must be greater than 0",
        ));
    }

    // Invoice total excl. tax: always Σ line HT (Urssaf's arithmetic); the caller's is checked.
    let ht = sum(&lines, |l| l.ht).unwrap_or(Decimal::ZERO);
    if let Some(Some(given)) = total_ht_given {
        let diff = (given - ht).abs();
        if diff > tolerance {
            errors.push(FieldError::new(
                format!("{p}/total_excl_tax"),
                "total_mismatch",
                format!(
                    "must equal the sum of the line totals excl. tax ({})",
                    fmt_money(ht)
                ),
            ));
        } else if !diff.is_zero() {
            adjustments.push(Adjustment {
                pointer: format!("{p}/total_excl_tax"),
                field: "mntFactureHT".into(),
                original: fmt_money(given),
                adjusted: fmt_money(ht),
                reason:
                    "the invoice total excl. tax is sent as the sum of the line totals excl. tax"
                        .into(),
            });
        }
    }

    let (deposit_amount, deposit_date) = match deposit {
        Some((Some(a), paid_on)) => {
            if a.checked_mul(Decimal::TWO).is_none_or(|twice| twice > ttc) {
                errors.push(FieldError::new(
                    format!("{p}/deposit/amount"),
                    "deposit_at_most_half",
                    format!(
                        "must not exceed 50 % of the invoice total ({})",
                        fmt_money(ttc)
                    ),
                ));
            }
            (Some(a), paid_on)
        }
        _ => (None, None),
    };

    let (Some(invoice_date), Some(birth), true) = (invoice_date, birth, errors.is_empty()) else {
        return Err(errors);
    };
    let start = given_start.or_else(|| lines.iter().filter_map(|l| l.start).min());
    let end = given_end.or_else(|| lines.iter().filter_map(|l| l.end).max());
    let (Some(start), Some(end)) = (start, end) else {
        return Err(errors);
    };

    let wire = wire::InputDemandePaiement {
        id_tiers_facturation: tenant.billing_id.clone(),
        id_client: client_id.to_string(),
        date_naissance_client: dates::to_wire_date(birth),
        // Trimmed, as answered to the caller and as searched: one spelling everywhere.
        num_facture_tiers: invoice_number.to_string(),
        date_facture: dates::to_wire_date(invoice_date),
        date_debut_emploi: dates::to_wire_date(start),
        date_fin_emploi: dates::to_wire_date(end),
        mnt_acompte: deposit_amount,
        date_versement_acompte: deposit_date.map(dates::to_wire_date),
        mnt_facture_ttc: ttc,
        mnt_facture_ht: ht,
        input_prestations: lines
            .into_iter()
            .map(|l| wire::InputPrestation {
                code_nature: l.nature.to_string(),
                code_activite: l.activity,
                quantite: l.quantity,
                unite: match l.unit {
                    Unit::Hour => "HEURE",
                    Unit::FlatRate => "FORFAIT",
                }
                .to_string(),
                mnt_unitaire_ttc: l.price,
                mnt_prestation_ttc: l.ttc,
                mnt_prestation_ht: l.ht,
                mnt_prestation_tva: l.vat,
                date_debut_emploi: l.start.map(dates::to_wire_date),
                date_fin_emploi: l.end.map(dates::to_wire_date),
                complement1: l.description,
                complement2: Some(l.worker),
            })
            .collect(),
    };
    Ok(PreparedInvoice { wire, adjustments })
}
