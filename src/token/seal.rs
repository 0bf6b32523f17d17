//! Optional encryption of the tokens kept in Redis (AES-256-GCM): whoever can read Redis
//! must not get a bearer token for Urssaf. The Redis key is bound as associated data, so a
//! value cannot be replayed under another tenant's key.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use rand::RngCore;

use crate::config::EncryptionKey;

const PREFIX: &str = "v1.";

pub(super) struct Sealer {
    cipher: Option<Aes256Gcm>,
}

impl Sealer {
    /// With a key, values are encrypted; without, stored as they are.
    pub(super) fn new(key: Option<&EncryptionKey>) -> Sealer {
        Sealer {
            cipher: key.map(|k| Aes256Gcm::new(k.bytes().into())),
        }
    }

    pub(super) fn seal(&self, aad: &str, plain: &str) -> Option<String> {
        let Some(cipher) = &self.cipher else {
            return Some(plain.to_string());
        };
        let mut nonce = [0u8; 12];
        rand::thread_rng().fill_bytes(&mut nonce);
        let ct = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plain.as_bytes(),
                    aad: aad.as_bytes(),
                },
            )
            .ok()?;
        let mut out = nonce.to_vec();
        out.extend(ct);
        Some(format!(
            "{PREFIX}{}",
            base64::engine::general_purpose::STANDARD_NO_PAD.encode(out)
        ))
    }

    /// `None` for anything that does not open with this key (another key, tampering, or a
    /// plain value while encryption is on): treated as a cache miss.
    pub(super) fn open(&self, aad: &str, stored: &str) -> Option<String> {
        let Some(cipher) = &self.cipher else {
            return Some(stored.to_string());
        };
        let raw = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(stored.strip_prefix(PREFIX)?)
            .ok()?;
        if raw.len() < 12 {
            return None;
        }
        let (nonce, ct) = raw.split_at(12);
        let plain = cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ct,
                    aad: aad.as_bytes(),
                },
            )
            .ok()?;
        String::from_utf8(plain).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_under_their_key_and_with_the_same_secret() {
        let key = |b: &str| EncryptionKey::parse(&b.repeat(32)).unwrap();
        let s = Sealer::new(Some(&key("11")));
        let sealed = s.seal("k1", "token-value").unwrap();
        assert!(!sealed.contains("token-value"));
        assert_eq!(s.open("k1", &sealed).as_deref(), Some("token-value"));
        assert_eq!(s.open("k2", &sealed), None, "bound to its Redis key");
        let other = Sealer::new(Some(&key("22")));
        assert_eq!(other.open("k1", &sealed), None);
        assert_eq!(
            s.open("k1", "token-value"),
            None,
            "plain values are not trusted"
        );
        assert_eq!(s.open("k1", "v1.!!"), None);
    }

    #[test]
    fn without_a_key_values_pass_through() {
        let s = Sealer::new(None);
        assert_eq!(s.seal("k", "x").as_deref(), Some("x"));
        assert_eq!(s.open("k", "x").as_deref(), Some("x"));
    }
}
