//! Setting values that are parsed, not merely checked: once a [`super::Settings`] exists, its
//! key hashes, encryption key and URLs are known good, and nothing downstream falls back.

use secrecy::{ExposeSecret, SecretBox};
use serde::{de::Error, Deserialize, Deserializer};

/// Reads a string setting and parses it; the error names what is wrong (the configuration
/// loader adds which key).
fn parsed<'de, D: Deserializer<'de>, T>(
    d: D,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<T, D::Error> {
    let text = String::deserialize(d)?;
    parse(&text).map_err(D::Error::custom)
}

impl<'de> Deserialize<'de> for KeyHash {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        parsed(d, KeyHash::parse)
    }
}

impl<'de> Deserialize<'de> for EncryptionKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        parsed(d, EncryptionKey::parse)
    }
}

impl<'de> Deserialize<'de> for HttpUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        parsed(d, HttpUrl::parse)
    }
}

/// SHA-256 of an API key (64 hex characters in the configuration).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyHash(pub [u8; 32]);

impl KeyHash {
    /// The hash of a key.
    pub fn of(key: &str) -> KeyHash {
        use sha2::Digest;
        KeyHash(sha2::Sha256::digest(key.as_bytes()).into())
    }

    pub fn parse(hex_digest: &str) -> Result<KeyHash, String> {
        let h = hex_digest.trim();
        let bytes = (h.len() == 64)
            .then(|| hex::decode(h).ok())
            .flatten()
            .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok());
        bytes.map(KeyHash).ok_or_else(|| {
            // Never the value: it may be the raw key, pasted instead of its hash.
            "not a SHA-256 hex digest (64 hex characters; `urssaf-gateway hash-key` makes one)"
                .to_string()
        })
    }

    pub fn to_hex(self) -> String {
        hex::encode(self.0)
    }
}

impl std::fmt::Debug for KeyHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A key's hash is not a secret, but a short prefix is enough to recognise it.
        write!(f, "KeyHash({}…)", &self.to_hex()[..8])
    }
}

/// The 32-byte AES-256-GCM key for tokens kept in Redis (64 hex characters).
pub struct EncryptionKey(SecretBox<[u8; 32]>);

impl EncryptionKey {
    pub fn parse(hex_key: &str) -> Result<EncryptionKey, String> {
        let bytes = hex::decode(hex_key.trim())
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
            .ok_or("must be 64 hex characters (32 bytes)")?;
        Ok(EncryptionKey(SecretBox::new(Box::new(bytes))))
    }

    pub fn bytes(&self) -> &[u8; 32] {
        self.0.expose_secret()
    }
}

impl Clone for EncryptionKey {
    fn clone(&self) -> Self {
        EncryptionKey(SecretBox::new(Box::new(*self.bytes())))
    }
}

impl std::fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EncryptionKey([REDACTED])")
    }
}

/// An absolute `http(s)` URL with a host.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpUrl(reqwest::Url);

impl HttpUrl {
    pub fn parse(text: &str) -> Result<HttpUrl, String> {
        match reqwest::Url::parse(text.trim()) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.has_host() => Ok(HttpUrl(u)),
            // Not echoed: a URL may carry proxy credentials.
            _ => Err("not an absolute http(s) URL".into()),
        }
    }

    /// Without a trailing slash, ready for a path to be appended.
    pub fn as_base(&self) -> &str {
        self.0.as_str().trim_end_matches('/')
    }
}

impl std::fmt::Debug for HttpUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Scheme, host and port only: user info and paths may hold credentials.
        write!(
            f,
            "HttpUrl({}://{}{})",
            self.0.scheme(),
            self.0.host_str().unwrap_or(""),
            self.0.port().map(|p| format!(":{p}")).unwrap_or_default()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_hashes() {
        let h = "a".repeat(64);
        assert_eq!(KeyHash::parse(&h).unwrap().to_hex(), h);
        assert_eq!(KeyHash::parse(&h.to_uppercase()).unwrap().to_hex(), h);
        for bad in ["", "abc", &"g".repeat(64), &"a".repeat(66)] {
            assert!(KeyHash::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn encryption_keys_are_32_bytes_and_never_shown() {
        let k = EncryptionKey::parse(&"ab".repeat(32)).unwrap();
        assert_eq!(k.bytes()[0], 0xab);
        assert!(!format!("{k:?}").contains("ab"));
        assert!(EncryptionKey::parse(&"ab".repeat(31)).is_err());
        assert!(EncryptionKey::parse("zz").is_err());
    }

    #[test]
    fn urls() {
        let u = HttpUrl::parse("https://user:pw@proxy.example:8443/").unwrap();
        assert_eq!(u.as_base(), "https://user:pw@proxy.example:8443");
        assert_eq!(format!("{u:?}"), "HttpUrl(https://proxy.example:8443)");
        for bad in ["", "proxy.example", "ftp://x", "http://"] {
            assert!(HttpUrl::parse(bad).is_err(), "{bad}");
        }
    }
}
