//! Tests of invoice parsing: rules, totals and the one-cent strategy.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::*;
use crate::domain::FieldError;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 2).unwrap()
}

fn defaults() -> InvoiceDefaults {
    InvoiceDefaults {
        worker_id: Some("SAP123456789".into()),
    }
}

fn line<'a>(q: &'a str, price: &'a str) -> LineInput<'a> {
    LineInput {
        nature_code: "60",
        activity_code: None,
        quantity: q,
        unit: Unit::Hour,
        unit_price: price,
        vat_rate: None,
        total_excl_tax: None,
        vat_amount: None,
        total_incl_tax: None,
        service_start: Some("2026-10-05"),
        service_end: Some("2026-10-20"),
        description: None,
        worker_id: None,
    }
}

fn invoice<'a>(lines: Vec<LineInput<'a>>) -> InvoiceInput<'a> {
    InvoiceInput {
        invoice_number: "F-1",
        invoice_date: "2026-11-02",
        client_id: "c1",
        client_birth_date: "1980-03-29",
        deposit: None,
        lines,
        total_incl_tax: None,
        total_excl_tax: None,
        service_start: None,
        service_end: None,
    }
}

fn ok(inv: &InvoiceInput) -> Invoice {
    Invoice::parse(inv, "/invoices/3", &defaults(), today()).unwrap()
}

fn err(inv: &InvoiceInput) -> Vec<(String, String)> {
    Invoice::parse(inv, "/invoices/3", &defaults(), today())
        .unwrap_err()
        .into_iter()
        .map(|FieldError { pointer, rule, .. }| (pointer, rule))
        .collect()
}

fn one(pointer: &str, rule: &str) -> Vec<(String, String)> {
    vec![(format!("/invoices/3{pointer}"), rule.to_string())]
}

#[test]
fn line_total_rounds_half_away_from_zero() {
    let p = ok(&invoice(vec![line("1.75", "23.50")]));
    assert_eq!(p.total_incl_tax, d("41.13"));
    assert_eq!(p.lines[0].total_excl_tax, d("41.13"));
}

#[test]
fn three_thirds_one_cent_short() {
    // 100.00 split in three lines of 33.33: the sum is 99.99.
    let mut inv = invoice(vec![
        line("1", "33.33"),
        line("1", "33.33"),
        line("1", "33.33"),
    ]);
    inv.total_incl_tax = Some("100.00");
    let p = ok(&inv);
    assert_eq!(p.total_incl_tax, d("100.00"));
    let sum: Decimal = p.lines.iter().map(|l| l.total_incl_tax).sum();
    assert_eq!(sum, d("100.00"));
    assert_eq!(p.adjustments.len(), 1);
    let a = &p.adjustments[0];
    assert_eq!(
        (a.pointer.as_str(), a.original.as_str(), a.adjusted.as_str()),
        ("/invoices/3/lines/0/unit_price", "33.33", "33.34")
    );
    assert_eq!(a.field, AdjustedField::UnitPrice);
}

#[test]
fn vat_computed_on_totals_is_absorbed_with_three_decimals() {
    // HT 12.34 × 1.2 = 14.808 → 14.81 per line; VAT on the total: 37.02 × 1.2 = 44.42 (not 44.43).
    let mut lines = vec![line("1", "14.81"), line("1", "14.81"), line("3", "14.81")];
    for l in &mut lines {
        l.vat_rate = Some("20");
    }
    let mut inv = invoice(lines);
    inv.total_incl_tax = Some("74.04"); // lines sum to 74.05
    let p = ok(&inv);
    // The largest line (3 × 14.81 = 44.43) absorbs it: 3 × 14.808 = 44.424 → 44.42
    // (14.808 is the valid 3-decimal price closest to the original).
    assert_eq!(p.adjustments[0].pointer, "/invoices/3/lines/2/unit_price");
    assert_eq!(p.lines[2].unit_price, d("14.808"));
    assert_eq!(p.lines[2].total_incl_tax, d("44.42"));
    let l = &p.lines[2];
    assert_eq!(l.total_excl_tax + l.vat, l.total_incl_tax);
    assert_eq!(p.total_incl_tax, d("74.04"));
}

#[test]
fn larger_gap_is_refused() {
    let mut inv = invoice(vec![line("1", "33.33"), line("1", "33.33")]);
    inv.total_incl_tax = Some("66.69");
    assert_eq!(err(&inv), one("/total_incl_tax", "total_mismatch"));
}

#[test]
fn gap_no_three_decimal_price_can_absorb_is_refused() {
    let mut inv = invoice(vec![line("1000", "10")]);
    inv.total_incl_tax = Some("10000.01");
    assert_eq!(err(&inv), one("/total_incl_tax", "total_mismatch"));
}

#[test]
fn line_total_one_cent_off_rederives_price() {
    let mut l = line("3", "33.33");
    l.total_incl_tax = Some("100.00");
    let p = ok(&invoice(vec![l]));
    // 3 × 33.332 = 99.996 → 100.00, the valid price closest to 33.33.
    assert_eq!(p.lines[0].unit_price, d("33.332"));
    assert_eq!(p.lines[0].total_incl_tax, d("100.00"));
    assert_eq!(p.adjustments[0].pointer, "/invoices/3/lines/0/unit_price");
    let mut l = line("5", "70.00");
    l.total_incl_tax = Some("349.90");
    assert_eq!(
        err(&invoice(vec![l])),
        one("/lines/0/total_incl_tax", "line_total_mismatch")
    );
}

#[test]
fn explicit_vat_amounts() {
    let mut l = line("1", "120");
    l.total_excl_tax = Some("100");
    l.vat_amount = Some("20");
    let p = ok(&invoice(vec![l.clone()]));
    assert_eq!(p.lines[0].vat, d("20"));
    l.vat_amount = Some("21");
    assert_eq!(
        err(&invoice(vec![l.clone()])),
        one("/lines/0/vat_amount", "excl_tax_plus_vat")
    );
    l.vat_amount = None;
    assert_eq!(ok(&invoice(vec![l.clone()])).lines[0].vat, d("20"));
    l.vat_rate = Some("20");
    assert_eq!(
        err(&invoice(vec![l])),
        one("/lines/0/vat_rate", "vat_rate_or_amounts")
    );
}

#[test]
fn decimals_and_negatives() {
    assert_eq!(
        err(&invoice(vec![line("1.255", "10")])),
        one("/lines/0/quantity", "decimal_places")
    );
    assert_eq!(
        err(&invoice(vec![line("1", "10.0001")])),
        one("/lines/0/unit_price", "decimal_places")
    );
    assert_eq!(
        err(&invoice(vec![line("-1", "10")])),
        one("/lines/0/quantity", "non_negative")
    );
    assert_eq!(
        err(&invoice(vec![line("0", "10")])),
        one("/lines/0/quantity", "positive")
    );
    // Huge values must not panic.
    let _ = Invoice::parse(
        &invoice(vec![line("999999999.99", "999999999.999")]),
        "/i",
        &defaults(),
        today(),
    );
}

#[test]
fn month_rule() {
    let mut l = line("1", "10");
    l.service_end = Some("2026-11-01");
    assert!(err(&invoice(vec![l])).contains(&(
        String::from("/invoices/3/service_end"),
        String::from("same_month")
    )));
}

#[test]
fn future_rule_allows_today() {
    let mut l = line("1", "10");
    l.service_start = Some("2026-11-01");
    l.service_end = Some("2026-11-02");
    assert!(ok(&invoice(vec![l.clone()])).adjustments.is_empty());
    l.service_end = Some("2026-11-03");
    let e = err(&invoice(vec![l]));
    assert!(
        e.contains(&(
            String::from("/invoices/3/service_end"),
            String::from("not_in_future")
        )),
        "{e:?}"
    );
}

#[test]
fn period_from_lines_and_missing_dates() {
    let mut a = line("1", "10");
    a.service_start = Some("2026-10-03");
    a.service_end = Some("2026-10-04");
    let b = line("1", "10");
    let p = ok(&invoice(vec![a, b]));
    assert_eq!(
        (p.service_start, p.service_end),
        (
            NaiveDate::from_ymd_opt(2026, 10, 3).unwrap(),
            NaiveDate::from_ymd_opt(2026, 10, 20).unwrap()
        )
    );
    let mut c = line("1", "10");
    c.service_start = None;
    c.service_end = None;
    assert_eq!(
        err(&invoice(vec![c])),
        [
            (
                "/invoices/3/service_start".to_string(),
                "required".to_string()
            ),
            (
                "/invoices/3/service_end".to_string(),
                "required".to_string()
            )
        ]
    );
}

#[test]
fn deposit_at_most_half() {
    let mut inv = invoice(vec![line("5", "30")]);
    inv.deposit = Some(DepositInput {
        amount: "75.00",
        paid_on: "2026-10-01",
    });
    assert_eq!(ok(&inv).deposit.map(|d| d.amount), Some(d("75")));
    inv.deposit = Some(DepositInput {
        amount: "75.01",
        paid_on: "2026-10-01",
    });
    assert_eq!(err(&inv), one("/deposit/amount", "deposit_at_most_half"));
}

#[test]
fn codes_and_worker() {
    let mut l = line("1", "10");
    l.nature_code = "65";
    assert_eq!(
        err(&invoice(vec![l])),
        one("/lines/0/nature_code", "nature_code")
    );
    let mut l = line("1", "10");
    l.worker_id = Some("SIR123");
    assert_eq!(
        err(&invoice(vec![l])),
        one("/lines/0/worker_id", "worker_id")
    );
    let e = Invoice::parse(
        &invoice(vec![line("1", "10")]),
        "/invoices/0",
        &InvoiceDefaults::default(),
        today(),
    )
    .unwrap_err();
    assert_eq!(
        (e[0].pointer.as_str(), e[0].rule.as_str()),
        ("/invoices/0/lines/0/worker_id", "required")
    );
}

#[test]
fn invoice_fields_and_all_errors_at_once() {
    let long = "x".repeat(51);
    let mut inv = invoice(vec![]);
    inv.invoice_number = &long;
    inv.invoice_date = "2026-13-01";
    inv.client_id = " ";
    let e = err(&inv);
    let pointers: Vec<_> = e.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        pointers,
        [
            "/invoices/3/invoice_number",
            "/invoices/3/invoice_date",
            "/invoices/3/client_id",
            "/invoices/3/lines"
        ]
    );
    let long = "é".repeat(51);
    let mut l = line("1", "10");
    l.description = Some(&long);
    assert_eq!(
        err(&invoice(vec![l])),
        one("/lines/0/description", "max_length")
    );
}

#[test]
fn invoice_number_is_sent_trimmed() {
    let padded = format!("  {} ", "x".repeat(50));
    let mut inv = invoice(vec![line("1", "10")]);
    inv.invoice_number = &padded;
    assert_eq!(ok(&inv).number, "x".repeat(50));
}
