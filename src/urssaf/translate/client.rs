//! Clients: a [`Registration`] → `InputParticulier`; `GET /particulier` answers → [`ClientRecord`].

use crate::domain::client::birthplace::{Birthplace, FRANCE};
use crate::domain::client::{AccountStatus, ClientRecord, RawAccountStatus, Registration, Title};
use crate::domain::text;
use crate::urssaf::wire;

use super::dates::to_wire_date;

pub fn registration_to_wire(r: &Registration) -> wire::InputParticulier {
    let lieu_naissance = match &r.birth_place {
        Birthplace::France {
            department,
            commune,
            commune_name,
        } => wire::InputLieuNaissance {
            code_pays_naissance: FRANCE.to_string(),
            departement_naissance: Some(department.clone()),
            commune_naissance: Some(wire::InputCommune {
                code_commune: commune.clone(),
                libelle_commune: Some(commune_name.clone()),
            }),
        },
        Birthplace::Abroad { country_code } => wire::InputLieuNaissance {
            code_pays_naissance: country_code.clone(),
            departement_naissance: None,
            commune_naissance: None,
        },
    };
    let a = &r.address;
    wire::InputParticulier {
        civilite: match r.title {
            Title::Mr => "1",
            Title::Mrs => "2",
        }
        .to_string(),
        nom_naissance: r.birth_name.clone(),
        nom_usage: r.usage_name.clone(),
        prenoms: r.first_names.clone(),
        date_naissance: to_wire_date(r.birth_date),
        lieu_naissance,
        numero_telephone_portable: r.mobile_phone.as_str().to_string(),
        adresse_mail: r.email.as_str().to_string(),
        adresse_postale: wire::InputAdresse {
            numero_voie: a.street_number.clone(),
            lettre_voie: a.street_letter.clone(),
            code_type_voie: a.street_type.clone(),
            libelle_voie: a.street_name.clone(),
            complement: a.complement.clone(),
            lieu_dit: a.locality.clone(),
            libelle_commune: a.commune_name.clone(),
            code_commune: a.commune_code.clone(),
            code_postal: a.postal_code.clone(),
            code_pays: a.country_code.clone(),
        },
        coordonnee_bancaire: wire::InputCoordonneeBancaire {
            bic: r.bank_account.bic.as_str().to_string(),
            iban: r.bank_account.iban.as_str().to_string(),
            titulaire: r.bank_account.holder.clone(),
        },
    }
}

/// Interprets Urssaf's account status (E2 `statut`). Never fails.
pub fn account_from_wire(s: wire::StatutParticulier) -> AccountStatus {
    AccountStatus::interpret(RawAccountStatus {
        code: s.code,
        description: s.description,
        flag: s.etat,
    })
}

/// Urssaf's `GET /particulier` answer; blank names are absent. Takes the answer by value: its
/// strings move into the record (no copy per read).
pub fn record_from_wire(p: wire::ParticulierStatut) -> ClientRecord {
    // Trimmed; the string itself is kept when it has nothing to trim (the usual case).
    let present = |v: Option<String>| {
        let v = v?;
        match text::non_blank(Some(&v)) {
            Some(t) if t.len() == v.len() => Some(v),
            t => t.map(str::to_string),
        }
    };
    ClientRecord {
        client_id: p.id_client,
        birth_name: present(p.nom_naissance),
        usage_name: present(p.nom_usage),
        first_names: present(p.prenoms),
        account: account_from_wire(p.statut),
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::domain::client::birthplace::BirthplaceInput;
    use crate::domain::client::registration::example;
    use crate::domain::client::{AccountState, RegistrationInput};

    fn wire_of(r: &RegistrationInput) -> wire::InputParticulier {
        let today = NaiveDate::from_ymd_opt(2026, 5, 1).unwrap();
        registration_to_wire(&Registration::parse(r, today).unwrap())
    }

    #[test]
    fn valid_registration_maps_every_field() {
        let json = serde_json::to_value(wire_of(&example())).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "civilite": "2", "nomNaissance": "Durand", "nomUsage": "Martin", "prenoms": "Jeanne Marie",
                "dateNaissance": "1980-03-29T00:00:00Z",
                "lieuNaissance": {"codePaysNaissance": "99100", "departementNaissance": "044",
                    "communeNaissance": {"codeCommune": "109", "libelleCommune": "Nantes"}},
                "numeroTelephonePortable": "0605040302", "adresseMail": "jeanne.durand@example.org",
                "adressePostale": {"numeroVoie": "12", "lettreVoie": "B", "codeTypeVoie": "R", "libelleVoie": "de la Paix",
                    "libelleCommune": "Nantes", "codeCommune": "44109", "codePostal": "44000", "codePays": "99100"},
                "coordonneeBancaire": {"bic": "BNPAFRPP", "iban": "FR7630004000031234567890143", "titulaire": "Mme Jeanne Durand"}
            })
        );
    }

    #[test]
    fn abroad_birthplace_maps_to_country_only() {
        let mut r = example();
        r.birth_place = BirthplaceInput {
            country_code: Some("99109"),
            ..Default::default()
        };
        assert_eq!(
            wire_of(&r).lieu_naissance,
            wire::InputLieuNaissance {
                code_pays_naissance: "99109".into(),
                departement_naissance: None,
                commune_naissance: None
            }
        );
    }

    #[test]
    fn account_status_interpreted() {
        let s = wire::StatutParticulier {
            code: "APPAREILLAGE_VALIDE".into(),
            description: "Transmission DP possible depuis le 05/03/2026 10:12".into(),
            etat: "OK".into(),
        };
        let a = account_from_wire(s.clone());
        assert_eq!(a.state, AccountState::Active);
        assert!(a.can_receive_payment_requests);
        assert_eq!(a.active_since, NaiveDate::from_ymd_opt(2026, 3, 5));
        let pending = account_from_wire(wire::StatutParticulier {
            code: "APPAREILLAGE_EC".into(),
            description: String::new(),
            etat: "KO".into(),
        });
        assert_eq!(
            (
                pending.state,
                pending.can_receive_payment_requests,
                pending.active_since
            ),
            (AccountState::PendingActivation, false, None)
        );
        let odd = account_from_wire(wire::StatutParticulier {
            code: "???".into(),
            description: String::new(),
            etat: String::new(),
        });
        assert_eq!(odd.state, AccountState::Unknown);
        assert_eq!(odd.raw.code, "???");
    }

    #[test]
    fn client_record_drops_blank_names() {
        let p = wire::ParticulierStatut {
            id_client: "c1".into(),
            nom_naissance: Some("Durand".into()),
            nom_usage: Some("".into()),
            prenoms: None,
            statut: wire::StatutParticulier {
                code: "APPAREILLAGE_EC".into(),
                description: String::new(),
                etat: "KO".into(),
            },
        };
        let c = record_from_wire(p.clone());
        assert_eq!(
            (c.birth_name.as_deref(), c.usage_name, c.first_names),
            (Some("Durand"), None, None)
        );
    }
}
