//! Amount rules as Urssaf computes them (urssaf-atp.md §5.2).
//!
//! Rounding: to the cent, halves away from zero (`RoundingStrategy::MidpointAwayFromZero`).
//! All arithmetic is checked; `None` means an overflow, which the caller reports as a field error.

use rust_decimal::Decimal;

use crate::domain::decimal::round_cents;

/// Line total incl. tax: quantity × unit price, rounded to the cent (`mntPrestationTTC`).
pub fn line_total(quantity: Decimal, unit_price: Decimal) -> Option<Decimal> {
    quantity.checked_mul(unit_price).map(round_cents)
}

/// Splits a total incl. tax with a VAT rate in percent: HT = TTC / (1 + rate/100) rounded to the
/// cent, VAT = TTC − HT, so that HT + VAT = TTC exactly (Urssaf's `ERR_MNT_PREST_HT_TVA` check).
pub fn split_vat(total_incl_tax: Decimal, rate_percent: Decimal) -> Option<(Decimal, Decimal)> {
    let divisor = Decimal::ONE.checked_add(rate_percent.checked_div(Decimal::ONE_HUNDRED)?)?;
    let ht = round_cents(total_incl_tax.checked_div(divisor)?);
    let vat = total_incl_tax.checked_sub(ht)?;
    Some((ht, vat))
}

/// A unit price with at most 3 decimals such that quantity × price rounds to `target`
/// (Urssaf accepts 3-decimal unit prices, e.g. 69.996 × 5 = 349.98).
///
/// Preference: a price whose product equals `target` exactly, then one whose product is
/// strictly less than half a cent away from `target` (so the result does not depend on the
/// rounding Urssaf applies), the closest to `original`. `None` when no such price exists
/// (large quantities leave gaps between 3-decimal prices).
pub fn rederive_unit_price(
    quantity: Decimal,
    target: Decimal,
    original: Decimal,
) -> Option<Decimal> {
    if quantity <= Decimal::ZERO || target < Decimal::ZERO {
        return None;
    }
    let step = Decimal::new(1, 3);
    let half_cent = Decimal::new(5, 3);
    let center = target.checked_div(quantity)?.round_dp(3);
    let mut best: Option<((bool, Decimal), Decimal)> = None;
    for k in -6i64..=6 {
        let price = center.checked_add(step.checked_mul(Decimal::from(k))?)?;
        if price < Decimal::ZERO {
            continue;
        }
        let product = quantity.checked_mul(price)?;
        let gap = product.checked_sub(target)?.abs();
        if gap >= half_cent {
            continue;
        }
        let score = (gap != Decimal::ZERO, price.checked_sub(original)?.abs());
        if best.as_ref().is_none_or(|(s, _)| score < *s) {
            best = Some((score, price));
        }
    }
    best.map(|(_, p)| p.normalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn line_total_rounds_half_away() {
        assert_eq!(line_total(d("1.75"), d("23.50")), Some(d("41.13"))); // 41.125
        assert_eq!(line_total(d("3"), d("33.333")), Some(d("100.00"))); // 99.999
        assert_eq!(line_total(d("5"), d("69.996")), Some(d("349.98")));
        assert_eq!(line_total(d("2"), d("6.015")), Some(d("12.03")));
        assert_eq!(line_total(Decimal::MAX, d("2")), None);
    }

    #[test]
    fn vat_split_sums_exactly() {
        assert_eq!(
            split_vat(d("150.00"), d("10")),
            Some((d("136.36"), d("13.64")))
        );
        assert_eq!(
            split_vat(d("100.00"), d("5.5")),
            Some((d("94.79"), d("5.21")))
        );
        assert_eq!(
            split_vat(d("100.00"), d("0")),
            Some((d("100.00"), d("0.00")))
        );
        assert_eq!(split_vat(d("0.01"), d("20")), Some((d("0.01"), d("0.00"))));
        for ttc in ["0.01", "19.99", "33.33", "1234.57"] {
            let (ht, vat) = split_vat(d(ttc), d("20")).unwrap();
            assert_eq!(ht + vat, d(ttc));
        }
    }

    #[test]
    fn rederived_prices() {
        // 5 × 70.00 = 350.00; to reach 349.98 Urssaf-style: 69.996 exactly.
        assert_eq!(
            rederive_unit_price(d("5"), d("349.98"), d("70")),
            Some(d("69.996"))
        );
        // One unit: the exact target wins.
        assert_eq!(
            rederive_unit_price(d("1"), d("33.34"), d("33.333")),
            Some(d("33.34"))
        );
        // 3 × p must round to 100.01: 33.336 × 3 = 100.008 (no exact 3-decimal price; closest to 33.333).
        assert_eq!(
            rederive_unit_price(d("3"), d("100.01"), d("33.333")),
            Some(d("33.336"))
        );
        // 1000 units: 3-decimal prices step by 1.00 €, 0.01 is out of reach.
        assert_eq!(rederive_unit_price(d("1000"), d("10000.01"), d("10")), None);
        assert_eq!(rederive_unit_price(Decimal::ZERO, d("1"), d("1")), None);
    }

    #[test]
    fn rederived_price_never_sits_on_a_midpoint() {
        // 2 × 0.0025-steps: 1.005 × 2 = 2.010 exact is preferred over midpoints.
        let p = rederive_unit_price(d("2"), d("2.01"), d("1")).unwrap();
        assert_eq!(d("2") * p, d("2.01"));
        let p = rederive_unit_price(d("0.25"), d("10.01"), d("40")).unwrap();
        assert_eq!(line_total(d("0.25"), p), Some(d("10.01")));
        assert!(p.scale() <= 3);
    }
}
