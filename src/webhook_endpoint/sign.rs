//! Standard Webhooks signatures: `webhook-signature: v1,<base64 HMAC-SHA256>` of
//! `{id}.{timestamp}.{body}`, one per secret (several while a secret is being rotated).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretBox};
use sha2::Sha256;

const PREFIX: &str = "whsec_";

/// One signing secret: the bytes after `whsec_`, base64-decoded. Never printed.
pub struct SigningSecret(SecretBox<Vec<u8>>);

impl SigningSecret {
    /// `whsec_` followed by standard base64 of at least 16 bytes (the error never quotes it).
    pub fn parse(text: &str) -> Result<SigningSecret, String> {
        let Some(encoded) = text.trim().strip_prefix(PREFIX) else {
            return Err("must start with whsec_ followed by base64".into());
        };
        let key = STANDARD
            .decode(encoded)
            .map_err(|_| "the part after whsec_ is not valid base64".to_string())?;
        if key.len() < 16 {
            return Err(format!(
                "the key after whsec_ is {} bytes; use at least 16 (e.g. 24 or 32 random bytes)",
                key.len()
            ));
        }
        Ok(SigningSecret(SecretBox::new(Box::new(key))))
    }

    fn key(&self) -> &[u8] {
        self.0.expose_secret()
    }
}

impl Clone for SigningSecret {
    fn clone(&self) -> Self {
        SigningSecret(SecretBox::new(Box::new(self.key().to_vec())))
    }
}

impl PartialEq for SigningSecret {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl std::fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningSecret([redacted])")
    }
}

/// The `webhook-signature` value: `v1,<sig>` for each secret, space-separated.
pub fn signature_header(
    secrets: &[SigningSecret],
    id: &str,
    timestamp: i64,
    body: &[u8],
) -> String {
    secrets
        .iter()
        .map(|s| format!("v1,{}", sign(s, id, timestamp, body)))
        .collect::<Vec<_>>()
        .join(" ")
}

fn sign(secret: &SigningSecret, id: &str, timestamp: i64, body: &[u8]) -> String {
    // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.key()) else {
        return String::new();
    };
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    STANDARD.encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    // The example of the Standard Webhooks reference libraries.
    const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
    const ID: &str = "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk";
    const TS: i64 = 1649367553;
    const BODY: &[u8] = br#"{"email":"test@example.com","username":"test_user"}"#;
    const EXPECTED: &str = "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=";

    #[test]
    fn matches_the_reference_vector() {
        let s = SigningSecret::parse(SECRET).unwrap();
        assert_eq!(signature_header(&[s], ID, TS, BODY), EXPECTED);
    }

    #[test]
    fn one_signature_per_secret_during_rotation() {
        let old = SigningSecret::parse(SECRET).unwrap();
        let new = SigningSecret::parse("whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").unwrap();
        let header = signature_header(&[new, old], ID, TS, BODY);
        let parts: Vec<&str> = header.split(' ').collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[1], EXPECTED);
        assert!(parts[0].starts_with("v1,") && parts[0] != EXPECTED);
        // Any change to what is signed changes the signature.
        let s = SigningSecret::parse(SECRET).unwrap();
        assert_ne!(signature_header(&[s], ID, TS + 1, BODY), EXPECTED);
    }

    #[test]
    fn bad_secrets_are_refused_without_quoting_them() {
        for bad in [
            "C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
            "whsec_%%%",
            "whsec_AAAA",
        ] {
            let e = SigningSecret::parse(bad).unwrap_err();
            assert!(!e.contains("C2FV") && !e.contains("%%%"), "{e}");
        }
        let s = SigningSecret::parse(SECRET).unwrap();
        assert_eq!(format!("{s:?}"), "SigningSecret([redacted])");
    }
}
