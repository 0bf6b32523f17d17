//! A household's registration: every field read and checked at once. A [`Registration`] only
//! comes out of [`Registration::parse`], so whatever holds one may send it as it is.

use chrono::NaiveDate;

use super::address::{self, Address, AddressInput};
use super::bank::{self, Bic, Iban};
use super::birthplace::{self, Birthplace, BirthplaceInput};
use super::contact::{Email, MobilePhone};
use super::identity;
use crate::domain::{redacted_debug, text, FieldError, Parsed};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Title {
    Mr,
    Mrs,
}

/// The caller's fields, as written.
#[derive(Clone, Copy)]
pub struct RegistrationInput<'a> {
    pub title: Title,
    pub birth_name: &'a str,
    pub usage_name: Option<&'a str>,
    pub first_names: &'a str,
    pub birth_date: &'a str,
    pub birth_place: BirthplaceInput<'a>,
    pub mobile_phone: &'a str,
    pub email: &'a str,
    pub address: AddressInput<'a>,
    pub bank_account: BankAccountInput<'a>,
    /// Transliterate names (accents removed, spaces folded) before checking them.
    pub normalize_names: bool,
}

#[derive(Clone, Copy, Default)]
pub struct BankAccountInput<'a> {
    pub iban: &'a str,
    pub bic: &'a str,
    pub holder: &'a str,
}

/// A checked registration, values normalised as Urssaf wants them.
#[derive(Clone, PartialEq, Eq)]
pub struct Registration {
    pub title: Title,
    pub birth_name: String,
    /// Only when it differs from the birth name (Urssaf: optional when identical).
    pub usage_name: Option<String>,
    pub first_names: String,
    pub birth_date: NaiveDate,
    pub birth_place: Birthplace,
    pub mobile_phone: MobilePhone,
    pub email: Email,
    pub address: Address,
    pub bank_account: BankAccount,
    parsed: Parsed,
}

#[derive(Clone, PartialEq, Eq)]
pub struct BankAccount {
    pub iban: Iban,
    pub bic: Bic,
    pub holder: String,
}

// Personal data never shows in `Debug` output, hence in logs.
redacted_debug!(RegistrationInput<'a>, title, normalize_names);
redacted_debug!(BankAccountInput<'a>);
redacted_debug!(Registration, title);
redacted_debug!(BankAccount);

/// Keeps the value of a check and records its error, so that every failing field is reported.
fn keep<T>(r: Result<T, FieldError>, errors: &mut Vec<FieldError>) -> Option<T> {
    r.map_err(|e| errors.push(e)).ok()
}

fn keep_all<T>(r: Result<T, Vec<FieldError>>, errors: &mut Vec<FieldError>) -> Option<T> {
    r.map_err(|e| errors.extend(e)).ok()
}

impl Registration {
    /// Checks a registration completely; returns every failing field at once (pointers into
    /// the caller's request). `today` bounds the birth date. Names are trimmed, and
    /// transliterated when `normalize_names` is set; the usage name is dropped when equal to
    /// the birth name.
    pub fn parse(
        req: &RegistrationInput<'_>,
        today: NaiveDate,
    ) -> Result<Registration, Vec<FieldError>> {
        let mut errors = Vec::new();
        let fold = req.normalize_names;

        let birth_name = identity::prepare(req.birth_name, fold);
        keep(
            identity::check_name(&birth_name, "/birth_name"),
            &mut errors,
        );
        let usage_name = text::non_blank(req.usage_name)
            .map(|u| identity::prepare(u, fold))
            .filter(|u| !u.is_empty());
        if let Some(u) = &usage_name {
            keep(identity::check_name(u, "/usage_name"), &mut errors);
        }
        let first_names = identity::prepare(req.first_names, fold);
        keep(
            identity::check_first_names(&first_names, "/first_names"),
            &mut errors,
        );
        let birth_date = keep(
            identity::check_birth_date(req.birth_date, today, "/birth_date"),
            &mut errors,
        );
        let birth_place = keep_all(
            birthplace::check(req.birth_place, "/birth_place"),
            &mut errors,
        );
        let phone = keep(
            MobilePhone::parse(req.mobile_phone, "/mobile_phone"),
            &mut errors,
        );
        let email = keep(Email::parse(req.email, "/email"), &mut errors);
        let address = keep_all(address::check(req.address, "/address"), &mut errors);
        let b = &req.bank_account;
        let iban = keep(Iban::parse(b.iban, "/bank_account/iban"), &mut errors);
        let bic = keep(Bic::parse(b.bic, "/bank_account/bic"), &mut errors);
        let holder = keep(
            bank::check_holder(b.holder, "/bank_account/holder"),
            &mut errors,
        );

        let (
            Some(birth_date),
            Some(birth_place),
            Some(mobile_phone),
            Some(email),
            Some(address),
            Some(iban),
            Some(bic),
            Some(holder),
            true,
        ) = (
            birth_date,
            birth_place,
            phone,
            email,
            address,
            iban,
            bic,
            holder,
            errors.is_empty(),
        )
        else {
            return Err(errors);
        };
        let usage_name = usage_name.filter(|u| u.to_lowercase() != birth_name.to_lowercase());
        Ok(Registration {
            title: req.title,
            birth_name,
            usage_name,
            first_names,
            birth_date,
            birth_place,
            mobile_phone,
            email,
            address,
            bank_account: BankAccount { iban, bic, holder },
            parsed: Parsed(()),
        })
    }
}

/// The public API sketch's household, with its fictitious identity (the one Urssaf's sandbox
/// is known to accept): the demo client, and the tests' valid registration.
pub const EXAMPLE: RegistrationInput<'static> = RegistrationInput {
    title: Title::Mrs,
    birth_name: "Durand",
    usage_name: Some("Martin"),
    first_names: "Jeanne Marie",
    birth_date: "1980-03-29",
    birth_place: BirthplaceInput {
        country_code: Some("99100"),
        commune_code: Some("44109"),
        commune_name: Some("Nantes"),
    },
    mobile_phone: "06 05 04 03 02",
    email: "jeanne.durand@example.org",
    address: AddressInput::EXAMPLE,
    bank_account: BankAccountInput {
        iban: "FR76 3000 4000 0312 3456 7890 143",
        bic: "BNPAFRPP",
        holder: "Mme Jeanne Durand",
    },
    normalize_names: false,
};

#[cfg(test)]
pub(crate) fn example() -> RegistrationInput<'static> {
    EXAMPLE
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 5, 1).unwrap()
    }

    #[test]
    fn usage_name_dropped_when_same_as_birth_name() {
        let mut r = example();
        r.usage_name = Some(" DURAND ");
        assert_eq!(Registration::parse(&r, today()).unwrap().usage_name, None);
        r.usage_name = Some("");
        assert_eq!(Registration::parse(&r, today()).unwrap().usage_name, None);
    }

    #[test]
    fn every_failing_field_reported_at_once() {
        let mut r = example();
        r.birth_name = "Dur4nd";
        r.birth_date = "2030-01-01";
        r.birth_place.commune_code = Some("4410");
        r.mobile_phone = "0105040302";
        r.email = "x";
        r.address.postal_code = "440";
        r.bank_account.iban = "FR7630004000031234567890144";
        r.bank_account.bic = "BNP";
        let e = Registration::parse(&r, today()).unwrap_err();
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
        let mut r = example();
        r.birth_name = "  Lefèvre  ";
        r.first_names = "Hélène   Zoé";
        assert_eq!(
            Registration::parse(&r, today()).unwrap_err()[0].pointer,
            "/first_names"
        );
        r.normalize_names = true;
        let ok = Registration::parse(&r, today()).unwrap();
        assert_eq!(
            (ok.birth_name.as_str(), ok.first_names.as_str()),
            ("Lefevre", "Helene Zoe")
        );
    }

    #[test]
    fn debug_shows_no_personal_data() {
        let r = Registration::parse(&example(), today()).unwrap();
        let shown = format!("{r:?} {:?}", example());
        for secret in ["Durand", "Jeanne", "1980", "44109", "0605", "FR76", "BNPA"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
    }
}
