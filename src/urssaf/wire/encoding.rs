//! How values travel: amounts as JSON numbers, `null` for defaulted fields, token lifetimes.

use serde::Deserialize;

/// A defaulted field that Urssaf may also send as `null`: read `null` as the default (empty).
pub(super) fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Amounts travel as JSON numbers. Going through the shortest round-trip text of the
/// `f64` keeps them exact for every amount that has at most 15 significant digits.
pub mod amount {
    use rust_decimal::Decimal;
    use serde::{de::Error, Deserialize, Deserializer, Serializer};
    use std::str::FromStr;

    pub fn serialize<S: Serializer>(value: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        let normal = value.normalize();
        if normal.scale() == 0 {
            if let Ok(i) = i64::try_from(normal.mantissa()) {
                return s.serialize_i64(i);
            }
        }
        let f = f64::from_str(&normal.to_string()).map_err(serde::ser::Error::custom)?;
        s.serialize_f64(f)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        let n = serde_json::Number::deserialize(d)?;
        from_number(&n).map_err(D::Error::custom)
    }

    pub fn from_number(n: &serde_json::Number) -> Result<Decimal, String> {
        if let Some(i) = n.as_i64() {
            return Ok(Decimal::from(i));
        }
        if let Some(u) = n.as_u64() {
            return Ok(Decimal::from(u));
        }
        let f = n.as_f64().ok_or_else(|| "not a number".to_string())?;
        if !f.is_finite() {
            return Err("not a finite number".into());
        }
        // `{}` on f64 prints the shortest text that reads back to the same f64.
        Decimal::from_str(&format!("{f}"))
            .or_else(|_| Decimal::from_scientific(&format!("{f:e}")))
            .map_err(|e| e.to_string())
    }
}

/// Same as [`amount`], for optional fields (absent, `null` or empty string read as none).
pub mod amount_opt {
    use rust_decimal::Decimal;
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(v) => super::amount::serialize(v, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::Null => Ok(None),
            serde_json::Value::String(s) if s.trim().is_empty() => Ok(None),
            serde_json::Value::Number(n) => super::amount::from_number(&n)
                .map(Some)
                .map_err(D::Error::custom),
            other => Err(D::Error::custom(format!("expected a number, got {other}"))),
        }
    }
}
