//! Urssaf's wire format, field for field (French names live here and nowhere else).
//!
//! Shared by the upstream client and the built-in simulator so both speak exactly the
//! same JSON. Dates stay strings on the wire: Urssaf wants `YYYY-MM-DDT00:00:00Z` and the
//! simulator must be able to see (and reject) other spellings. Request types refuse unknown
//! keys, as a strict server would (the simulator reads them); answer types stay tolerant.

mod demande;
mod encoding;
mod particulier;
mod recherche;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

use encoding::null_as_default;

pub use demande::{InputDemandePaiement, InputPrestation, OutputDemandePaiement};
pub use encoding::{amount, amount_opt};
pub use particulier::{
    InputAdresse, InputCommune, InputCoordonneeBancaire, InputLieuNaissance, InputParticulier,
    OutputParticulier, ParticulierStatut, StatutParticulier,
};
pub use recherche::{
    DemandePaiementEcho, InfoDemandePaiement, InfoRejet, InfoVirement,
    InputRechercheDemandePaiement, OutputRechercheDemandePaiement, StatutDemandePaiement,
};

/// The paths are stated with the hosts, in `config` (tenants build their endpoints from them).
pub use crate::config::{BASE_PATH, TOKEN_PATH};

/// `Erreur`: the one error item Urssaf uses everywhere.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Erreur {
    #[serde(default, deserialize_with = "null_as_default")]
    pub code: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub message: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub description: String,
}
