//! Where a webhook may go. Unless `events.allow_private_targets` is set, a target must be
//! `https` and every address its host resolves to must be public: no loopback, private,
//! link-local (cloud metadata at 169.254.169.254), CGNAT, multicast or reserved address.
//! The check runs on the addresses the connection is then made to (a DNS resolver of our own
//! handed to the HTTP client), so a name that resolves to a public address when checked and to
//! a private one when used (DNS rebinding) cannot slip through.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::Url;

/// A webhook URL as configured: `http` or `https`, with a host.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookUrl(Url);

impl WebhookUrl {
    pub fn parse(text: &str) -> Result<WebhookUrl, String> {
        let url = Url::parse(text.trim()).map_err(|e| format!("not a URL ({e})"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("scheme {:?}: use https", url.scheme()));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err("no host".into());
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err("credentials in the URL are not allowed; deliveries are signed".into());
        }
        Ok(WebhookUrl(url))
    }

    pub fn url(&self) -> &Url {
        &self.0
    }

    /// Scheme and host only: what logs and problems may show (a path may hold a token).
    pub fn origin(&self) -> String {
        self.0.origin().ascii_serialization()
    }

    /// Why this URL may not be used when private targets are not allowed: not `https`, or a
    /// literal address that is not public. Names are checked when resolved, at each delivery.
    pub fn refusal(&self) -> Option<String> {
        if self.0.scheme() != "https" {
            return Some(
                "must be https (http only with events.allow_private_targets = true)".into(),
            );
        }
        let host = self.0.host_str()?;
        let ip: IpAddr = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
            .ok()?;
        forbidden(ip).map(|why| format!("{ip} is {why}; not allowed as a webhook target"))
    }
}

impl std::fmt::Debug for WebhookUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "WebhookUrl({})", self.origin())
    }
}

/// What kind of non-public address `ip` is, if it is one.
pub fn forbidden(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => forbidden_v6(v6),
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b, c) {
        (0, _, _) => "an unspecified (0.0.0.0/8) address",
        (127, _, _) => "a loopback address",
        (10, _, _) => "a private address",
        (172, 16..=31, _) => "a private address",
        (192, 168, _) => "a private address",
        (169, 254, _) => "a link-local address (cloud metadata lives there)",
        (100, 64..=127, _) => "a shared (CGNAT 100.64.0.0/10) address",
        (192, 0, 0) => "an IETF protocol address",
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => "a documentation address",
        (198, 18..=19, _) => "a benchmarking address",
        (224..=239, _, _) => "a multicast address",
        (240..=255, _, _) => "a reserved or broadcast address",
        _ => return None,
    })
}

fn forbidden_v6(ip: Ipv6Addr) -> Option<&'static str> {
    // Addresses that carry an IPv4 address are judged by it (mapped, NAT64, 6to4).
    if let Some(v4) = ip.to_ipv4_mapped() {
        return forbidden_v4(v4);
    }
    let s = ip.segments();
    // The local-use NAT64 prefix (64:ff9b:1::/48) leads to whatever its translator reaches,
    // private networks included; where it carries the IPv4 address depends on the setup.
    if s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1 {
        return Some("a local-use NAT64 address");
    }
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
        return forbidden_v4(Ipv4Addr::new(
            (s[6] >> 8) as u8,
            s[6] as u8,
            (s[7] >> 8) as u8,
            s[7] as u8,
        ));
    }
    if s[0] == 0x2002 {
        return forbidden_v4(Ipv4Addr::new(
            (s[1] >> 8) as u8,
            s[1] as u8,
            (s[2] >> 8) as u8,
            s[2] as u8,
        ));
    }
    Some(match s[0] {
        _ if ip.is_unspecified() => "an unspecified address",
        _ if ip.is_loopback() => "a loopback address",
        0xfc00..=0xfdff => "a private (unique local) address",
        0xfe80..=0xfebf => "a link-local address",
        0xfec0..=0xfeff => "a site-local address",
        0xff00..=0xffff => "a multicast address",
        0x2001 if s[1] == 0x0db8 => "a documentation address",
        // Teredo tunnels (2001::/32) carry an obfuscated IPv4 address.
        0x2001 if s[1] == 0 => "a Teredo tunnel address",
        0x0000 => "a reserved address",
        _ => return None,
    })
}

/// The resolver of the HTTP client used when private targets are not allowed: every address
/// of the name must be public, else the delivery fails with the reason.
pub struct PublicOnlyResolver;

#[derive(Debug, thiserror::Error)]
#[error("{host} resolves to {ip}, {why}; not allowed as a webhook target")]
struct Refused {
    host: String,
    ip: IpAddr,
    why: &'static str,
}

impl Resolve for PublicOnlyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if addrs.is_empty() {
                return Err(format!("{host}: no address").into());
            }
            if let Some((ip, why)) = addrs
                .iter()
                .find_map(|a| forbidden(a.ip()).map(|why| (a.ip(), why)))
            {
                return Err(Box::new(Refused { host, ip, why }) as _);
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_special_addresses_are_refused() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.20.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "fc00::1",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b:1::a9fe:a9fe",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "2002:a9fe:a9fe::1",
            "ff02::1",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(forbidden(ip).is_some(), "{ip} should be refused");
        }
        for ip in [
            "93.184.215.14",
            "1.1.1.1",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700::1111",
            "64:ff9b::5db8:d70e",
            "2001:4860::8888",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(forbidden(ip).is_none(), "{ip} is public");
        }
    }

    #[test]
    fn urls_are_checked_for_scheme_and_literal_addresses() {
        let ok = WebhookUrl::parse("https://billing.example/hooks/urssaf?token=x").unwrap();
        assert_eq!(ok.refusal(), None);
        assert_eq!(ok.origin(), "https://billing.example");
        let http = WebhookUrl::parse("http://billing.example/hooks").unwrap();
        assert!(http.refusal().unwrap().contains("https"));
        let metadata = WebhookUrl::parse("https://169.254.169.254/latest/meta-data").unwrap();
        assert!(metadata.refusal().unwrap().contains("link-local"));
        let v6 = WebhookUrl::parse("https://[::1]:8443/").unwrap();
        assert!(v6.refusal().unwrap().contains("loopback"));
        assert!(WebhookUrl::parse("ftp://x.example/").is_err());
        assert!(WebhookUrl::parse("https://u:p@x.example/").is_err());
        assert!(WebhookUrl::parse("not a url").is_err());
    }

    #[tokio::test]
    async fn the_resolver_refuses_names_of_private_addresses() {
        let name: Name = "localhost".parse().unwrap();
        let err = match PublicOnlyResolver.resolve(name).await {
            Ok(_) => panic!("localhost resolved as public"),
            Err(e) => e.to_string(),
        };
        assert!(err.contains("loopback"), "{err}");
    }
}
