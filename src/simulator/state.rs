//! In-memory state: one data set per provider (client_id), plus tokens, clock and knobs.

use super::clock::{self, Clock};
use super::knobs::{Faults, Rules};
use super::referentials::libelle_statut;
use super::SimulatorSettings;
use crate::urssaf::wire::{
    DemandePaiementEcho, InfoDemandePaiement, InfoRejet, InfoVirement, InputDemandePaiement,
    InputParticulier, StatutDemandePaiement, StatutParticulier,
};
use chrono::{DateTime, Duration, Utc};
use parking_lot::{Mutex, MutexGuard};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// Payment-request ids have the shape of the Swagger example `11000000000104`: `11` and 12
/// digits, here the wall clock in milliseconds (modulo 10^12, about 31 years).
const DP_ID_BASE: u64 = 11_000_000_000_000;
const DP_ID_SPAN: u64 = 1_000_000_000_000;

pub(crate) struct Inner {
    pub settings: SimulatorSettings,
    pub data: Mutex<Data>,
    faults: Mutex<Faults>,
    rules: Mutex<Rules>,
    /// token → (client_id, expiry on the real clock).
    pub tokens: Mutex<HashMap<String, (String, Instant)>>,
    pub token_requests: AtomicU64,
    pub submissions: AtomicU64,
    /// `POST /particulier` calls received.
    pub registrations: AtomicU64,
    /// `POST /demandePaiement/rechercher` and `GET /particulier` calls received.
    pub searches: AtomicU64,
    pub client_reads: AtomicU64,
    /// Providers added after the start (tenants added while the gateway runs).
    pub extra_credentials: parking_lot::RwLock<HashMap<String, secrecy::SecretString>>,
}

impl Inner {
    pub(crate) fn new(settings: SimulatorSettings) -> Inner {
        let faults = settings.faults.clone();
        Inner {
            settings,
            data: Mutex::new(Data::default()),
            faults: Mutex::new(faults),
            rules: Mutex::new(Rules::default()),
            tokens: Mutex::new(HashMap::new()),
            token_requests: AtomicU64::new(0),
            submissions: AtomicU64::new(0),
            registrations: AtomicU64::new(0),
            searches: AtomicU64::new(0),
            client_reads: AtomicU64::new(0),
            extra_credentials: parking_lot::RwLock::new(HashMap::new()),
        }
    }

    pub(crate) fn faults(&self) -> Faults {
        self.faults.lock().clone()
    }

    pub(crate) fn set_faults(&self, f: Faults) {
        *self.faults.lock() = f;
    }

    pub(crate) fn rules(&self) -> Rules {
        self.rules.lock().clone()
    }

    pub(crate) fn set_rules(&self, r: Rules) {
        *self.rules.lock() = r;
    }

    pub(crate) fn data(&self) -> MutexGuard<'_, Data> {
        self.data.lock()
    }

    /// Back to the initial state: data, clock, counters, faults and rules. Tokens survive
    /// (they belong to the OAuth server, not to the business data).
    pub(crate) fn reset(&self) {
        *self.data.lock() = Data::default();
        self.set_faults(self.settings.faults.clone());
        self.set_rules(Rules::default());
        self.token_requests.store(0, Ordering::Relaxed);
        self.submissions.store(0, Ordering::Relaxed);
        self.registrations.store(0, Ordering::Relaxed);
        self.searches.store(0, Ordering::Relaxed);
        self.client_reads.store(0, Ordering::Relaxed);
    }
}

#[derive(Default)]
pub(crate) struct Data {
    pub clock: Clock,
    pub providers: HashMap<String, Provider>,
}

impl Data {
    pub(crate) fn provider(&mut self, client_id: &str) -> &mut Provider {
        self.providers.entry(client_id.to_string()).or_default()
    }

    /// A new payment-request id, never one handed out before (see [`next_dp_id`]).
    pub(crate) fn next_dp_id(&mut self) -> u64 {
        next_dp_id(Utc::now())
    }
}

/// The last payment-request id handed out in this process, by any simulator (a reset or a
/// second simulator does not start over).
static LAST_DP_ID: AtomicU64 = AtomicU64::new(0);

/// Ids never repeat, also across restarts, as Urssaf's do not (a receiver that deduplicates
/// events by id would drop a new invoice's events): each id follows the last one of the
/// process and is at least the wall clock in milliseconds, so a later start begins above what
/// an earlier run handed out unless that run issued more than one id per millisecond.
fn next_dp_id(now: DateTime<Utc>) -> u64 {
    let clock = DP_ID_BASE + u64::try_from(now.timestamp_millis()).unwrap_or_default() % DP_ID_SPAN;
    let mut last = LAST_DP_ID.load(Ordering::Relaxed);
    loop {
        let id = clock.max(last + 1);
        match LAST_DP_ID.compare_exchange_weak(last, id, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return id,
            Err(seen) => last = seen,
        }
    }
}

#[derive(Default)]
pub(crate) struct Provider {
    pub clients: Vec<Client>,
    pub dps: BTreeMap<u64, Dp>,
}

/// §4.2 client statuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum ClientCode {
    #[serde(rename = "APPAREILLAGE_EC")]
    EnCours,
    #[serde(rename = "APPAREILLAGE_VALIDE")]
    Valide,
    #[serde(rename = "APPAREILLAGE_NF")]
    NonFinalise,
    #[serde(rename = "PARTICULIER_BLOQUE")]
    Bloque,
    #[serde(rename = "MANDAT_ECHU")]
    MandatEchu,
}

impl ClientCode {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ClientCode::EnCours => "APPAREILLAGE_EC",
            ClientCode::Valide => "APPAREILLAGE_VALIDE",
            ClientCode::NonFinalise => "APPAREILLAGE_NF",
            ClientCode::Bloque => "PARTICULIER_BLOQUE",
            ClientCode::MandatEchu => "MANDAT_ECHU",
        }
    }
}

pub(crate) struct Client {
    pub id: String,
    pub input: InputParticulier,
    pub registered_at: DateTime<Utc>,
    /// Set by the admin API; replaces the automatic activation.
    pub forced: Option<(ClientCode, Option<DateTime<Utc>>)>,
}

impl Client {
    /// Current status and, when links are active, the date from which DPs are accepted.
    pub(crate) fn status(
        &self,
        now: DateTime<Utc>,
        delay: Duration,
    ) -> (ClientCode, Option<DateTime<Utc>>) {
        match self.forced {
            Some((code, at)) => (code, at),
            None => match self.registered_at.checked_add_signed(delay) {
                Some(at) if now >= at => (ClientCode::Valide, Some(at)),
                _ => (ClientCode::EnCours, None),
            },
        }
    }

    pub(crate) fn wire_status(&self, now: DateTime<Utc>, delay: Duration) -> StatutParticulier {
        let (code, at) = self.status(now, delay);
        let (description, etat) = match code {
            ClientCode::EnCours => (
                "Transmission DP impossible, appareillage en cours de traitement".to_string(),
                "KO",
            ),
            ClientCode::Valide => (
                match at {
                    Some(at) => format!(
                        "Transmission DP possible à partir du {}",
                        clock::format_fr(at)
                    ),
                    None => "Transmission DP possible".to_string(),
                },
                "OK",
            ),
            ClientCode::NonFinalise => (
                "Transmission DP impossible, appareillage non finalisé".to_string(),
                "KO",
            ),
            ClientCode::Bloque => (
                "Transmission DP impossible, particulier bloqué".to_string(),
                "KO",
            ),
            ClientCode::MandatEchu => (
                "Transmission DP impossible, mandat de prélèvement échu".to_string(),
                "KO",
            ),
        };
        StatutParticulier {
            code: code.as_str().to_string(),
            description,
            etat: etat.to_string(),
        }
    }
}

/// A status forced by the admin API.
#[derive(Clone)]
pub(crate) struct Forced {
    pub code: String,
    pub at: DateTime<Utc>,
    pub info_rejet: Option<InfoRejet>,
    pub info_virement: Option<InfoVirement>,
}

pub(crate) struct Dp {
    pub id: u64,
    pub input: InputDemandePaiement,
    pub submitted_at: DateTime<Utc>,
    pub forced: Option<Forced>,
}

/// Statuses of a payment request that was refused, deleted or cancelled (§4.1): the ones
/// that may free its `numFactureTiers` (rule `refused_frees_invoice_number`).
pub(crate) const FREEING_STATUSES: &[&str] = &["40", "100", "110", "111", "112", "113"];

impl Dp {
    /// Whether the request is refused, deleted or cancelled. Only the admin API puts a request
    /// in one of these statuses (the clock never does).
    pub(crate) fn frees_invoice_number(&self) -> bool {
        self.forced
            .as_ref()
            .is_some_and(|f| FREEING_STATUSES.contains(&f.code.as_str()))
    }

    /// Status computed lazily from the clock: 20 right after integration, 30 after the
    /// validation window (or when forced to 30), then 50 and 70 after the configured days.
    pub(crate) fn info(&self, now: DateTime<Utc>, rules: &Rules) -> InfoDemandePaiement {
        let (code, info_rejet, info_virement) = self.status(now, rules);
        InfoDemandePaiement {
            id_demande_paiement: self.id.to_string(),
            demande_paiement: Some(DemandePaiementEcho::from(&self.input)),
            statut: StatutDemandePaiement {
                libelle: libelle_statut(&code).unwrap_or_default().to_string(),
                code,
            },
            info_rejet,
            info_virement,
        }
    }

    fn status(
        &self,
        now: DateTime<Utc>,
        rules: &Rules,
    ) -> (String, Option<InfoRejet>, Option<InfoVirement>) {
        let validated_at = match &self.forced {
            Some(f) if f.code == "30" => f.at,
            Some(f) => {
                let virement = match (&f.info_virement, f.code.as_str()) {
                    (Some(v), _) => Some(v.clone()),
                    (None, "70") => Some(self.virement(f.at)),
                    (None, _) => None,
                };
                return (f.code.clone(), f.info_rejet.clone(), virement);
            }
            None => later(
                self.submitted_at,
                Duration::try_hours(rules.auto_validation_hours),
            ),
        };
        let debit_at = later(validated_at, Duration::try_days(rules.debit_days));
        let paid_at = later(debit_at, Duration::try_days(rules.payment_days));
        if now < validated_at {
            ("20".into(), None, None)
        } else if now < debit_at {
            ("30".into(), None, None)
        } else if now < paid_at {
            ("50".into(), None, None)
        } else {
            ("70".into(), None, Some(self.virement(paid_at)))
        }
    }

    /// Urssaf pays the provider the whole invoice minus the deposit the client already paid.
    fn virement(&self, at: DateTime<Utc>) -> InfoVirement {
        let acompte = self.input.mnt_acompte.unwrap_or_default();
        InfoVirement {
            mnt_virement: self.input.mnt_facture_ttc.checked_sub(acompte),
            date_virement: Some(clock::format_urssaf(at)),
        }
    }
}

/// `t + d`, saturating: absurd rule values (set through the admin API) mean "never".
fn later(t: DateTime<Utc>, d: Option<Duration>) -> DateTime<Utc> {
    d.and_then(|d| t.checked_add_signed(d))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payment_request_ids_follow_the_clock_and_never_repeat() {
        let now = Utc::now();
        let a = next_dp_id(now);
        // Urssaf's shape: 14 digits starting with 11.
        assert_eq!(a.to_string().len(), 14, "{a}");
        assert!(a.to_string().starts_with("11"), "{a}");
        assert!(a >= DP_ID_BASE + now.timestamp_millis() as u64 % DP_ID_SPAN);
        // The clock going back (or many ids in one millisecond) does not repeat an id.
        let b = next_dp_id(now - Duration::days(1));
        assert!(b > a, "{a} {b}");
        // A start an hour later begins an hour of milliseconds above.
        let c = next_dp_id(now + Duration::hours(1));
        assert!(c >= a + 3_600_000, "{a} {c}");
    }
}
