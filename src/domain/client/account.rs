//! Meaning of a client's Urssaf account status (E2 `statut`, urssaf-atp.md §4.2).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Where the client's Urssaf account stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AccountState {
    /// `APPAREILLAGE_EC`: the client has not yet activated the account or accepted the link.
    PendingActivation,
    /// `APPAREILLAGE_VALIDE`: payment requests can be sent (for services from `active_since`).
    Active,
    /// `APPAREILLAGE_NF`: activation not finalised in time; register the client again.
    NotFinalized,
    /// `PARTICULIER_BLOQUE`: the client's account is blocked.
    Blocked,
    /// `MANDAT_ECHU`: the client's SEPA mandate expired; the client must renew it.
    MandateExpired,
    /// Any other code: see `urssaf.code`.
    Unknown,
}

impl AccountState {
    /// The state for an Urssaf `statut.code`.
    pub fn from_code(code: &str) -> Self {
        match code.trim() {
            "APPAREILLAGE_EC" => Self::PendingActivation,
            "APPAREILLAGE_VALIDE" => Self::Active,
            "APPAREILLAGE_NF" => Self::NotFinalized,
            "PARTICULIER_BLOQUE" => Self::Blocked,
            "MANDAT_ECHU" => Self::MandateExpired,
            _ => Self::Unknown,
        }
    }
}

/// First real `dd/mm/yyyy` date found in Urssaf's description, as a whole word (a time may
/// follow; it is ignored). Read by position from each `/` (a scan of every position cost
/// ~1,000 instructions): it runs on every account status read.
pub fn date_in_description(description: &str) -> Option<NaiveDate> {
    let b = description.as_bytes();
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let number = |s: &[u8]| {
        s.iter().try_fold(0u32, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    // Each `/` may be the first of a date starting two bytes before it.
    let starts = b.iter().enumerate().skip(2).filter(|(_, c)| **c == b'/');
    starts.map(|(j, _)| j - 2).find_map(|i| {
        let d = b.get(i..i + 10)?;
        let bounded = (i == 0 || !word(b[i - 1])) && b.get(i + 10).is_none_or(|c| !word(*c));
        if !bounded || d[5] != b'/' {
            return None;
        }
        let year = i32::try_from(number(&d[6..10])?).ok()?;
        NaiveDate::from_ymd_opt(year, number(&d[3..5])?, number(&d[0..2])?)
    })
}

/// Whether payment requests can be sent: Urssaf's `OK`/`KO` flag says `OK`, or the code says
/// validated.
pub fn can_receive(flag: &str, state: AccountState) -> bool {
    flag.trim().eq_ignore_ascii_case("OK") || state == AccountState::Active
}

/// Urssaf's account status as received: its code, description and `OK`/`KO` flag.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawAccountStatus {
    pub code: String,
    pub description: String,
    /// `OK` when payment requests can be sent, else `KO` (or `INCONNU`).
    pub flag: String,
}

/// A client's Urssaf account, interpreted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountStatus {
    pub state: AccountState,
    pub can_receive_payment_requests: bool,
    /// Date from which services can be invoiced, read from the description (`dd/mm/yyyy`).
    pub active_since: Option<NaiveDate>,
    pub raw: RawAccountStatus,
}

impl AccountStatus {
    /// Never fails: an unknown code gives `unknown`.
    pub fn interpret(raw: RawAccountStatus) -> AccountStatus {
        let state = AccountState::from_code(&raw.code);
        AccountStatus {
            state,
            can_receive_payment_requests: can_receive(&raw.flag, state),
            active_since: date_in_description(&raw.description),
            raw,
        }
    }

    /// Registered, but the status could not be read just now.
    pub fn unknown() -> AccountStatus {
        AccountStatus {
            state: AccountState::Unknown,
            can_receive_payment_requests: false,
            active_since: None,
            raw: RawAccountStatus::default(),
        }
    }
}

/// A registered client as Urssaf holds it (names as Urssaf keeps them; blank ones absent).
#[derive(Clone, PartialEq, Eq)]
pub struct ClientRecord {
    pub client_id: String,
    pub birth_name: Option<String>,
    pub usage_name: Option<String>,
    pub first_names: Option<String>,
    pub account: AccountStatus,
}

crate::domain::redacted_debug!(ClientRecord, client_id, account);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_states() {
        assert_eq!(
            AccountState::from_code("APPAREILLAGE_EC"),
            AccountState::PendingActivation
        );
        assert_eq!(
            AccountState::from_code("APPAREILLAGE_VALIDE"),
            AccountState::Active
        );
        assert_eq!(
            AccountState::from_code("APPAREILLAGE_NF"),
            AccountState::NotFinalized
        );
        assert_eq!(
            AccountState::from_code("PARTICULIER_BLOQUE"),
            AccountState::Blocked
        );
        assert_eq!(
            AccountState::from_code("MANDAT_ECHU"),
            AccountState::MandateExpired
        );
        assert_eq!(
            AccountState::from_code("NOUVEAU_CODE"),
            AccountState::Unknown
        );
        assert_eq!(
            serde_json::to_value(AccountState::PendingActivation).unwrap(),
            "pending_activation"
        );
    }

    #[test]
    fn dates_in_descriptions() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day);
        assert_eq!(
            date_in_description("Transmission DP possible à partir du 05/03/2026 14:32:10"),
            d(2026, 3, 5)
        );
        assert_eq!(date_in_description("depuis le 31/12/2025"), d(2025, 12, 31));
        assert_eq!(
            date_in_description("le 31/02/2025 puis le 01/03/2025"),
            d(2025, 3, 1)
        );
        assert_eq!(date_in_description("appareillage en cours"), None);
        assert_eq!(
            date_in_description("x05/03/2026 05/03/20261"),
            None,
            "whole words only"
        );
        assert_eq!(date_in_description("(05/03/2026)"), d(2026, 3, 5));
        assert_eq!(date_in_description(""), None);
    }

    #[test]
    fn ok_etat_or_active_state() {
        assert!(can_receive("OK", AccountState::Unknown));
        assert!(can_receive("KO", AccountState::Active));
        assert!(!can_receive("KO", AccountState::PendingActivation));
        assert!(!can_receive("INCONNU", AccountState::Unknown));
    }
}
