//! Rules for a household (Urssaf's "particulier"): identity, birthplace, contact, address,
//! bank account, and the meaning of its account status.

pub mod account;
pub mod address;
pub mod bank;
pub mod birthplace;
pub mod contact;
pub mod identity;
pub mod registration;
pub mod street_types;

pub use account::{AccountState, AccountStatus, ClientRecord, RawAccountStatus};
pub use registration::{BankAccountInput, Registration, RegistrationInput, Title};
