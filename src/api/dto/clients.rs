//! Clients (households): registration request and account views.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use crate::domain::client::account::AccountState;
use crate::domain::client::address::AddressInput as DomainAddress;
use crate::domain::client::birthplace::BirthplaceInput as DomainBirthplace;
use crate::domain::client::{
    AccountStatus, BankAccountInput as DomainBank, ClientRecord, RawAccountStatus,
    RegistrationInput, Title as DomainTitle,
};
use crate::domain::redacted_debug;

// Personal data (names, birth date and place, phone, e-mail, address, IBAN) never shows in
// `Debug` output, hence in logs.
redacted_debug!(RegisterClientRequest, title, normalize_names);
redacted_debug!(BirthPlaceInput);
redacted_debug!(AddressInput);
redacted_debug!(BankAccountInput);
redacted_debug!(Client, client_id, account);

/// Civility. Urssaf: `civilite` (`mr` → `"1"`, `mrs` → `"2"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Title {
    /// Monsieur. Urssaf: `"1"`.
    Mr,
    /// Madame. Urssaf: `"2"`.
    Mrs,
}

/// Register a household with Urssaf. Urssaf: `InputParticulierDTO` (`POST /particulier`).
///
/// The identity must be exactly the one known by the tax administration (all first names,
/// birth name, birth commune code in force at the date of birth).
#[derive(Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "title": "mrs",
    "birth_name": "Durand",
    "usage_name": "Martin",
    "first_names": "Jeanne Marie",
    "birth_date": "1980-03-29",
    "birth_place": {"country_code": "99100", "commune_code": "44109", "commune_name": "Nantes"},
    "mobile_phone": "06 05 04 03 02",
    "email": "jeanne.durand@example.org",
    "address": {
        "street_number": "12", "street_letter": "bis", "street_type": "R", "street_name": "de la Paix",
        "commune_code": "44109", "commune_name": "Nantes", "postal_code": "44000", "country_code": "99100"
    },
    "bank_account": {"iban": "FR76 3000 4000 0312 3456 7890 143", "bic": "BNPAFRPP", "holder": "Mme Jeanne Durand"}
}))]
pub struct RegisterClientRequest {
    /// Civility. Urssaf: `civilite`.
    pub title: Title,
    /// Birth name: letters, `'`, `-`, spaces; ≤ 80 characters. Urssaf: `nomNaissance`.
    #[schema(min_length = 1, max_length = 80)]
    pub birth_name: String,
    /// Usage (married) name, same rules; sent only when different from the birth name. Urssaf: `nomUsage`.
    #[serde(default)]
    #[schema(max_length = 80)]
    pub usage_name: Option<String>,
    /// All first names as known by the tax office, separated by single spaces; ≤ 80 characters. Urssaf: `prenoms`.
    #[schema(min_length = 1, max_length = 80)]
    pub first_names: String,
    /// Birth date `YYYY-MM-DD`, not in the future. Urssaf: `dateNaissance`.
    #[schema(format = Date)]
    pub birth_date: String,
    /// Birthplace. Urssaf: `lieuNaissance`.
    pub birth_place: BirthPlaceInput,
    /// French mobile number (06/07); spaces, dots, dashes, `+33` and `0033` accepted and removed. Urssaf: `numeroTelephonePortable`.
    pub mobile_phone: String,
    /// E-mail address (Urssaf's pattern: no `+`, ASCII only). Urssaf: `adresseMail`.
    #[schema(min_length = 3, max_length = 254)]
    pub email: String,
    /// Postal address. Urssaf: `adressePostale`.
    pub address: AddressInput,
    /// Bank account for the direct debits. Urssaf: `coordonneeBancaire`.
    pub bank_account: BankAccountInput,
    /// When `true`, the gateway transliterates `birth_name`, `usage_name` and `first_names`
    /// before checking them: accents and other diacritics removed (`Hélène` → `Helene`,
    /// `Œ` → `OE`, `ß` → `ss`), typographic apostrophes and dashes made plain, repeated spaces
    /// folded, ends trimmed. Default `false`: names are only trimmed. Not sent to Urssaf.
    #[serde(default)]
    pub normalize_names: bool,
}

/// Birthplace: in France give `commune_code` and `commune_name` (country optional, `99100`);
/// abroad give only `country_code`. Urssaf: `lieuNaissance`.
#[derive(Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BirthPlaceInput {
    /// INSEE country code, 5 digits: `99100` for France (default when a commune is given), `99xxx` abroad. Urssaf: `codePaysNaissance`.
    #[serde(default)]
    #[schema(pattern = r"^[0-9]{5}$")]
    pub country_code: Option<String>,
    /// INSEE code of the birth commune as it was at the date of birth (e.g. `44109`, `2A004`, `97411`);
    /// the gateway splits it into Urssaf's `departementNaissance` and `communeNaissance.codeCommune`.
    #[serde(default)]
    #[schema(pattern = r"^[0-9][0-9AaBb][0-9]{3}$")]
    pub commune_code: Option<String>,
    /// Name of the birth commune, 1..50 characters, no `;`. Urssaf: `communeNaissance.libelleCommune`.
    #[serde(default)]
    #[schema(max_length = 50)]
    pub commune_name: Option<String>,
}

/// Postal address. Urssaf: `adressePostale`. Give `street_type` + `street_name`, or `complement`, or `locality`.
#[derive(Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressInput {
    /// Street number, digits only, not `0`, ≤ 20. Urssaf: `numeroVoie`.
    #[serde(default)]
    pub street_number: Option<String>,
    /// `bis`, `ter`, `quater` or `quinquies`. Urssaf: `lettreVoie` (`B`, `T`, `Q`, `C`).
    #[serde(default)]
    pub street_letter: Option<String>,
    /// Urssaf street-type code, any case (e.g. `R` rue, `AV` avenue, `BD`, `CHE`, `PL`, `IMP`, `ALL`). Urssaf: `codeTypeVoie`.
    #[serde(default)]
    pub street_type: Option<String>,
    /// Street name without its type, ≤ 28 characters. Urssaf: `libelleVoie`.
    #[serde(default)]
    #[schema(max_length = 28)]
    pub street_name: Option<String>,
    /// Building, staircase…, ≤ 38 characters. Urssaf: `complement`.
    #[serde(default)]
    #[schema(max_length = 38)]
    pub complement: Option<String>,
    /// Locality (lieu-dit), ≤ 38 characters. Urssaf: `lieuDit`.
    #[serde(default)]
    #[schema(max_length = 38)]
    pub locality: Option<String>,
    /// INSEE code of the commune (5 characters, not the postal code). Urssaf: `codeCommune`.
    #[schema(pattern = r"^[0-9][0-9AaBb][0-9]{3}$")]
    pub commune_code: String,
    /// Commune name, 1..50 characters. Urssaf: `libelleCommune`.
    #[schema(min_length = 1, max_length = 50)]
    pub commune_name: String,
    /// Postal code, 5 digits. Urssaf: `codePostal`.
    #[schema(pattern = r"^[0-9]{5}$")]
    pub postal_code: String,
    /// INSEE country code, 5 digits; default `99100` (France). Urssaf: `codePays`.
    #[serde(default)]
    #[schema(pattern = r"^[0-9]{5}$")]
    pub country_code: Option<String>,
}

/// Bank account. Urssaf: `coordonneeBancaire`.
#[derive(Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BankAccountInput {
    /// IBAN; spaces allowed, any case; checksum verified. Urssaf: `iban`.
    pub iban: String,
    /// BIC, 8 or 11 characters. Urssaf: `bic`.
    #[schema(min_length = 8, max_length = 11)]
    pub bic: String,
    /// Account holder (civility, name and first name), 1..100 characters. Urssaf: `titulaire`.
    #[schema(min_length = 1, max_length = 100)]
    pub holder: String,
}

/// Urssaf's raw account status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UrssafClientStatus {
    /// Urssaf's status code, e.g. `APPAREILLAGE_EC`. Urssaf: `statut.code`.
    pub code: String,
    /// Urssaf's description (French). Urssaf: `statut.description`.
    pub description: String,
    /// `OK` when payment requests can be sent, else `KO` (or `INCONNU`). Urssaf: `statut.etat`.
    pub etat: String,
}

/// The client's Urssaf account, interpreted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ClientAccount {
    /// Where the account stands. From Urssaf's `statut.code`.
    pub state: AccountState,
    /// Whether payment requests can be sent now. Urssaf: `statut.etat` = `OK`.
    pub can_receive_payment_requests: bool,
    /// Date from which services can be invoiced, read from Urssaf's `statut.description` (`dd/mm/yyyy`).
    #[schema(required = true)]
    pub active_since: Option<chrono::NaiveDate>,
    /// Urssaf's raw status. Urssaf: `statut`.
    pub urssaf: UrssafClientStatus,
}

/// Answer to a registration (201). Urssaf: `OutputParticulierDTO`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(example = json!({
    "client_id": "af0be430-908a-11eb-a8b3-0242ac130003",
    "account": {"state": "pending_activation", "can_receive_payment_requests": false, "active_since": null,
        "urssaf": {"code": "APPAREILLAGE_EC", "description": "Transmission DP impossible, appareillage en cours de traitement", "etat": "KO"}}
}))]
pub struct RegisteredClient {
    /// Urssaf's client id, used in every payment request. Urssaf: `idClient`.
    pub client_id: String,
    /// The account status right after registration.
    pub account: ClientAccount,
}

/// A registered client. Urssaf: `OutputParticulierSimpleDTO` (`GET /particulier`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "client_id": "af0be430-908a-11eb-a8b3-0242ac130003", "birth_name": "Durand", "usage_name": "Martin",
    "first_names": "Jeanne Marie",
    "account": {"state": "active", "can_receive_payment_requests": true, "active_since": "2026-03-05",
        "urssaf": {"code": "APPAREILLAGE_VALIDE", "description": "Transmission DP possible à partir du 05/03/2026", "etat": "OK"}}
}))]
#[schema(as = ClientDetails)]
pub struct Client {
    /// Urssaf's client id. Urssaf: `idClient`.
    pub client_id: String,
    /// Birth name as Urssaf holds it. Urssaf: `nomNaissance`.
    #[schema(required = true)]
    pub birth_name: Option<String>,
    /// Usage name as Urssaf holds it. Urssaf: `nomUsage`.
    #[schema(required = true)]
    pub usage_name: Option<String>,
    /// First names as Urssaf holds them. Urssaf: `prenoms`.
    #[schema(required = true)]
    pub first_names: Option<String>,
    /// The account status. Urssaf: `statut`.
    pub account: ClientAccount,
}

impl RegisterClientRequest {
    /// The fields as the domain reads them.
    pub fn input(&self) -> RegistrationInput<'_> {
        let b = &self.birth_place;
        let a = &self.address;
        RegistrationInput {
            title: match self.title {
                Title::Mr => DomainTitle::Mr,
                Title::Mrs => DomainTitle::Mrs,
            },
            birth_name: &self.birth_name,
            usage_name: self.usage_name.as_deref(),
            first_names: &self.first_names,
            birth_date: &self.birth_date,
            birth_place: DomainBirthplace {
                country_code: b.country_code.as_deref(),
                commune_code: b.commune_code.as_deref(),
                commune_name: b.commune_name.as_deref(),
            },
            mobile_phone: &self.mobile_phone,
            email: &self.email,
            address: DomainAddress {
                street_number: a.street_number.as_deref(),
                street_letter: a.street_letter.as_deref(),
                street_type: a.street_type.as_deref(),
                street_name: a.street_name.as_deref(),
                complement: a.complement.as_deref(),
                locality: a.locality.as_deref(),
                commune_code: &a.commune_code,
                commune_name: &a.commune_name,
                postal_code: &a.postal_code,
                country_code: a.country_code.as_deref(),
            },
            bank_account: DomainBank {
                iban: &self.bank_account.iban,
                bic: &self.bank_account.bic,
                holder: &self.bank_account.holder,
            },
            normalize_names: self.normalize_names,
        }
    }
}

/// Urssaf's status as read: its strings move into the answer.
impl From<AccountStatus> for ClientAccount {
    fn from(a: AccountStatus) -> Self {
        let RawAccountStatus {
            code,
            description,
            flag,
        } = a.raw;
        ClientAccount {
            state: a.state,
            can_receive_payment_requests: a.can_receive_payment_requests,
            active_since: a.active_since,
            urssaf: UrssafClientStatus {
                code,
                description,
                etat: flag,
            },
        }
    }
}

/// The answer to a read: the record's strings move into it.
impl From<ClientRecord> for Client {
    fn from(c: ClientRecord) -> Self {
        Client {
            client_id: c.client_id,
            birth_name: c.birth_name,
            usage_name: c.usage_name,
            first_names: c.first_names,
            account: ClientAccount::from(c.account),
        }
    }
}

/// A record kept elsewhere (an event's): copied.
impl From<&ClientRecord> for Client {
    fn from(c: &ClientRecord) -> Self {
        Client::from(c.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example() -> serde_json::Value {
        serde_json::json!({
            "title": "mrs", "birth_name": "Durand", "first_names": "Jeanne", "birth_date": "1980-03-29",
            "birth_place": {"commune_code": "44109", "commune_name": "Nantes"},
            "mobile_phone": "0605040302", "email": "j@example.org",
            "address": {"street_type": "R", "street_name": "Paix", "commune_code": "44109", "commune_name": "Nantes", "postal_code": "44000"},
            "bank_account": {"iban": "FR7630004000031234567890143", "bic": "BNPAFRPP", "holder": "J"}
        })
    }

    #[test]
    fn example_deserializes() {
        let r: RegisterClientRequest = serde_json::from_value(example()).unwrap();
        assert_eq!(r.title, Title::Mrs);
        assert!(!r.normalize_names);
    }

    #[test]
    fn debug_shows_no_personal_data() {
        let mut v = example();
        v["usage_name"] = serde_json::json!("Martin");
        v["address"]["street_number"] = serde_json::json!("12");
        let r: RegisterClientRequest = serde_json::from_value(v).unwrap();
        let shown = format!(
            "{r:?} {r:#?} {:?} {:?} {:?}",
            r.birth_place, r.address, r.bank_account
        );
        for secret in [
            "Durand",
            "Martin",
            "Jeanne",
            "1980",
            "44109",
            "Nantes",
            "0605040302",
            "j@example.org",
            "Paix",
            "44000",
            "12",
            "FR76",
            "BNPAFRPP",
        ] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains("RegisterClientRequest") && shown.contains("Mrs"));
        assert!(shown.contains("BankAccountInput { .. }"), "{shown}");

        let c = Client {
            client_id: "c-1".into(),
            birth_name: Some("Durand".into()),
            usage_name: Some("Martin".into()),
            first_names: Some("Jeanne".into()),
            account: ClientAccount {
                state: AccountState::Active,
                can_receive_payment_requests: true,
                active_since: None,
                urssaf: UrssafClientStatus {
                    code: "APPAREILLAGE_VALIDE".into(),
                    description: String::new(),
                    etat: "OK".into(),
                },
            },
        };
        let shown = format!("{c:?}");
        assert!(shown.contains("c-1"), "{shown}");
        for secret in ["Durand", "Martin", "Jeanne"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
    }

    #[test]
    fn unknown_fields_refused_at_every_level() {
        for path in [
            &[][..],
            &["birth_place"][..],
            &["address"][..],
            &["bank_account"][..],
        ] {
            let mut v = example();
            let mut target = &mut v;
            for p in path {
                target = &mut target[*p];
            }
            target["surprise"] = serde_json::json!(1);
            let e = serde_json::from_value::<RegisterClientRequest>(v).unwrap_err();
            assert!(e.to_string().contains("unknown field"), "{path:?}: {e}");
        }
    }
}
