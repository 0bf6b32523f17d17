//! Pure business rules: validated values, totals, status meanings. No I/O, no HTTP.

pub mod client;
pub mod dates;
pub mod decimal;
pub mod invoice;
pub mod payment_request;
pub mod search;
pub mod status;
pub mod text;

/// Implements `Debug` for a type holding personal data: prints the type name and only the
/// listed (non-personal) fields, then `..`. E.g. `redacted_debug!(Iban)` prints `Iban { .. }`.
macro_rules! redacted_debug {
    ($ty:ident $(<$lt:lifetime>)? $(, $field:ident)* $(,)?) => {
        impl $(<$lt>)? ::std::fmt::Debug for $ty $(<$lt>)? {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_struct(stringify!($ty))
                    $(.field(stringify!($field), &self.$field))*
                    .finish_non_exhaustive()
            }
        }
    };
}
pub(crate) use redacted_debug;

/// A text value that exists only once checked: `$ty::parse(raw, pointer)` runs `$check`
/// (which normalises and returns the text, or the field error); `as_str` reads it back.
/// `Debug` shows nothing of it (personal data).
macro_rules! checked_text {
    ($(#[$doc:meta])* $ty:ident, $check:path) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq)]
        pub struct $ty(String);

        $crate::domain::redacted_debug!($ty);

        impl $ty {
            pub fn parse(raw: &str, pointer: &str) -> Result<$ty, $crate::domain::FieldError> {
                $check(raw, pointer).map($ty)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
    };
}
pub(crate) use checked_text;

/// The seal of a parsed value. Only `domain` code can make one, so a type holding it can
/// only be built by its own `parse`: "parse, don't validate".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parsed(());

/// One failing field of a caller's request, named by its JSON pointer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// JSON pointer (RFC 6901) to the failing field in the caller's request, e.g. `/address/postal_code`.
    pub pointer: String,
    /// Stable machine name of the rule broken, e.g. `insee_commune_code`.
    pub rule: String,
    /// What the rule expects, in plain English.
    pub message: String,
}

impl FieldError {
    pub fn new(
        pointer: impl Into<String>,
        rule: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            pointer: pointer.into(),
            rule: rule.into(),
            message: message.into(),
        }
    }
}
