//! Clients: registration request → `InputParticulier`; `GET /particulier` answer → views.

use chrono::NaiveDate;

use crate::api::dto::clients::{
    Client, ClientAccount, RegisterClientRequest, Title, UrssafClientStatus,
};
use crate::domain::client::account::{can_receive, date_in_description, AccountState};
use crate::domain::client::birthplace::{self, Birthplace, BirthplaceInput};
use crate::domain::client::{address, bank, contact, identity};
use crate::domain::{dates, text, FieldError};
use crate::urssaf::wire;

/// Keeps the value of a check and records its error, so that every failing field is reported.
fn keep<T>(r: Result<T, FieldError>, errors: &mut Vec<FieldError>) -> Option<T> {
    r.map_err(|e| errors.push(e)).ok()
}

fn keep_all<T>(r: Result<T, Vec<FieldError>>, errors: &mut Vec<FieldError>) -> Option<T> {
    r.map_err(|e| errors.extend(e)).ok()
}

/// Checks a registration completely and builds Urssaf's `InputParticulier`.
///
/// Returns every failing field at once (pointers into the caller's request). `today` bounds
/// the birth date. Names are trimmed, and transliterated when `normalize_names` is set; the
/// usage name is dropped when equal to the birth name.
pub fn registration_to_wire(
    req: &RegisterClientRequest,
    today: NaiveDate,
) -> Result<wire::InputParticulier, Vec<FieldError>> {
    let mut errors = Vec::new();
    let fold = req.normalize_names;

    let birth_name = identity::prepare(&req.birth_name, fold);
    keep(
        identity::check_name(&birth_name, "/birth_name"),
        &mut errors,
    );
    let usage_name = text::non_blank(req.usage_name.as_deref())
        .map(|u| identity::prepare(u, fold))
        .filter(|u| !u.is_empty());
    if let Some(u) = &usage_name {
        keep(identity::check_name(u, "/usage_name"), &mut errors);
    }
    let first_names = identity::prepare(&req.first_names, fold);
    keep(
        identity::check_first_names(&first_names, "/first_names"),
        &mut errors,
    );
    let birth_date = keep(
        identity::check_birth_date(&req.birth_date, today, "/birth_date"),
        &mut errors,
    );

    let bp = &req.birth_place;
    let birth_place = keep_all(
        birthplace::check(
            BirthplaceInput {
                country_code: bp.country_code.as_deref(),
                commune_code: bp.commune_code.as_deref(),
                commune_name: bp.commune_name.as_deref(),
            },
            "/birth_place",
        ),
        &mut errors,
    );

    let phone = keep(
        contact::normalize_mobile(&req.mobile_phone, "/mobile_phone"),
        &mut errors,
    );
    let email = keep(contact::check_email(&req.email, "/email"), &mut errors);

    let a = &req.address;
    let addr = keep_all(
        address::check(
            address::AddressInput {
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
            "/address",
        ),
        &mut errors,
    );

    let b = &req.bank_account;
    let iban = keep(bank::check_iban(&b.iban, "/bank_account/iban"), &mut errors);
    let bic = keep(bank::check_bic(&b.bic, "/bank_account/bic"), &mut errors);
    let holder = keep(
        bank::check_holder(&b.holder, "/bank_account/holder"),
        &mut errors,
    );

    let (
        Some(birth_date),
        Some(birth_place),
        Some(phone),
        Some(email),
        Some(addr),
        Some(iban),
        Some(bic),
        Some(holder),
        true,
    ) = (
        birth_date,
        birth_place,
        phone,
        email,
        addr,
        iban,
        bic,
        holder,
        errors.is_empty(),
    )
    else {
        return Err(errors);
    };

    let lieu_naissance = match birth_place {
        Birthplace::France {
            department,
            commune,
            commune_name,
        } => wire::InputLieuNaissance {
            code_pays_naissance: birthplace::FRANCE.to_string(),
            departement_naissance: Some(department),
            commune_naissance: Some(wire::InputCommune {
                code_commune: commune,
                libelle_commune: Some(commune_name),
            }),
        },
        Birthplace::Abroad { country_code } => wire::InputLieuNaissance {
            code_pays_naissance: country_code,
            departement_naissance: None,
            commune_naissance: None,
        },
    };
    // Urssaf: "facultatif si identique au nom de naissance".
    let nom_usage = usage_name.filter(|u| u.to_lowercase() != birth_name.to_lowercase());

    Ok(wire::InputParticulier {
        civilite: match req.title {
            Title::Mr => "1",
            Title::Mrs => "2",
        }
        .to_string(),
        nom_naissance: birth_name,
        nom_usage,
        prenoms: first_names,
        date_naissance: dates::to_wire_date(birth_date),
        lieu_naissance,
        numero_telephone_portable: phone,
        adresse_mail: email,
        adresse_postale: wire::InputAdresse {
            numero_voie: addr.street_number,
            lettre_voie: addr.street_letter,
            code_type_voie: addr.street_type,
            libelle_voie: addr.street_name,
            complement: addr.complement,
            lieu_dit: addr.locality,
            libelle_commune: addr.commune_name,
            code_commune: addr.commune_code,
            code_postal: addr.postal_code,
            code_pays: addr.country_code,
        },
        coordonnee_bancaire: wire::InputCoordonneeBancaire {
            bic,
            iban,
            titulaire: holder,
        },
    })
}

/// Interprets Urssaf's account status (E2 `statut`). Never fails: unknown codes give `unknown`.
pub fn client_account(s: &wire::StatutParticulier) -> ClientAccount {
    let state = AccountState::from_code(&s.code);
    ClientAccount {
        state,
        can_receive_payment_requests: can_receive(&s.etat, state),
        active_since: date_in_description(&s.description),
        urssaf: UrssafClientStatus {
            code: s.code.clone(),
            description: s.description.clone(),
            etat: s.etat.clone(),
        },
    }
}

/// The public view of Urssaf's `GET /particulier` answer.
pub fn client_from_wire(p: &wire::ParticulierStatut) -> Client {
    let present = |v: &Option<String>| text::non_blank(v.as_deref()).map(str::to_string);
    Client {
        client_id: p.id_client.clone(),
        birth_name: present(&p.nom_naissance),
        usage_name: present(&p.nom_usage),
        first_names: present(&p.prenoms),
        account: client_account(&p.statut),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::dto::clients::{AddressInput, BankAccountInput, BirthPlaceInput};

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 5, 1).unwrap()
    }

    fn request() -> RegisterClientRequest {
        RegisterClientRequest {
            title: Title::Mrs,
            birth_name: "Durand".into(),
            usage_name: Some("Martin".into()),
            first_names: "Jeanne Marie".into(),
            birth_date: "1980-03-29".into(),
            birth_place: BirthPlaceInput {
                country_code: Some("99100".into()),
                commune_code: Some("44109".into()),
                commune_name: Some("Nantes".into()),
            },
            mobile_phone: "06 05 04 03 02".into(),
            email: "jeanne.durand@example.org".into(),
            address: AddressInput {
                street_number: Some("12".into()),
                street_letter: Some("bis".into()),
                street_type: Some("r".into()),
                street_name: Some("de la Paix".into()),
                commune_code: "44109".into(),
                commune_name: "Nantes".into(),
                postal_code: "44000".into(),
                ..Default::default()
            },
            bank_account: BankAccountInput {
                iban: "FR76 3000 4000 0312 3456 7890 143".into(),
                bic: "BNPAFRPP".into(),
                holder: "Mme Jeanne Durand".into(),
            },
            normalize_names: false,
        }
    }

    #[test]
    fn valid_registration_maps_every_field() {
        let w = registration_to_wire(&request(), today()).unwrap();
        let json = serde_json::to_value(&w).unwrap();
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
    fn usage_name_dropped_when_same_as_birth_name() {
        let mut r = request();
        r.usage_name = Some(" DURAND ".into());
        assert_eq!(registration_to_wire(&r, today()).unwrap().nom_usage, None);
        r.usage_name = Some("".into());
        assert_eq!(registration_to_wire(&r, today()).unwrap().nom_usage, None);
    }

    #[test]
    fn every_failing_field_reported_at_once() {
        let mut r = request();
        r.birth_name = "Dur4nd".into();
        r.birth_date = "2030-01-01".into();
        r.birth_place.commune_code = Some("4410".into());
        r.mobile_phone = "0105040302".into();
        r.email = "x".into();
        r.address.postal_code = "440".into();
        r.bank_account.iban = "FR7630004000031234567890144".into();
        r.bank_account.bic = "BNP".into();
        let e = registration_to_wire(&r, today()).unwrap_err();
        let pointers: Vec<_> = e.iter().map(|e| e.pointer.as_str()).collect();
        assert_eq!(
            pointers,
            [
                "/birth_name",
                "/birth_date",
                "/birth_place/commune_code",
                "/mobile_phone",
                "/email",
                "/address/postal_code",
                "/bank_account/iban",
                "/bank_account/bic"
            ]
        );
    }

    #[test]
    fn normalize_names_transliterates() {
        let mut r = request();
        r.birth_name = "  Lefèvre  ".into();
        r.first_names = "Hélène   Zoé".into();
        assert_eq!(
            registration_to_wire(&r, today()).unwrap_err()[0].pointer,
            "/first_names"
        );
        r.normalize_names = true;
        let w = registration_to_wire(&r, today()).unwrap();
        assert_eq!(
            (w.nom_naissance.as_str(), w.prenoms.as_str()),
            ("Lefevre", "Helene Zoe")
        );
    }

    #[test]
    fn abroad_birthplace_maps_to_country_only() {
        let mut r = request();
        r.birth_place = BirthPlaceInput {
            country_code: Some("99109".into()),
            ..Default::default()
        };
        let w = registration_to_wire(&r, today()).unwrap();
        assert_eq!(
            w.lieu_naissance,
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
        let a = client_account(&s);
        assert_eq!(a.state, AccountState::Active);
        assert!(a.can_receive_payment_requests);
        assert_eq!(a.active_since, NaiveDate::from_ymd_opt(2026, 3, 5));
        let pending = client_account(&wire::StatutParticulier {
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
        let odd = client_account(&wire::StatutParticulier {
            code: "???".into(),
            description: String::new(),
            etat: String::new(),
        });
        assert_eq!(odd.state, AccountState::Unknown);
        assert_eq!(odd.urssaf.code, "???");
    }

    #[test]
    fn client_view_drops_blank_names() {
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
        let c = client_from_wire(&p);
        assert_eq!(
            (c.birth_name.as_deref(), c.usage_name, c.first_names),
            (Some("Durand"), None, None)
        );
    }
}
