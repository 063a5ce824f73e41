//! Who is asking, and over what: the client's address and whether its connection is TLS.
//!
//! Behind a reverse proxy the socket's peer is the proxy, and the client is named in a header the
//! proxy adds. Anyone can send those headers, so they are believed only from peers in
//! `trusted_proxies`, and only the header family the operator's proxies write
//! ([`ProxyHeaders`]): a proxy that appends to `X-Forwarded-For` passes a client's own
//! `Forwarded` header through untouched, so believing both would let a client choose its address.
//!
//! Resolved once per request (in `CacheFirst`, before the page cache and routing) into a
//! [`Client`] request extension; every limit reads it through `newsroom::client_address`.

use std::net::IpAddr;
use std::str::FromStr;

use http::{HeaderMap, HeaderValue};
use ipnet::IpNet;

/// The resolved client of one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Client {
    pub address: IpAddr,
    /// The browser's connection is TLS: the site's public URL is `https://`, or a trusted proxy
    /// said so.
    pub over_tls: bool,
}

/// Which forwarding headers the trusted proxies write.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ProxyHeaders {
    /// `X-Forwarded-For` and `X-Forwarded-Proto` (nginx, HAProxy, Caddy, most load balancers).
    #[default]
    XForwarded,
    /// `Forwarded` (RFC 7239): its `for=` and `proto=` parameters.
    Forwarded,
}

impl FromStr for ProxyHeaders {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "x-forwarded" | "x-forwarded-for" => Ok(Self::XForwarded),
            "forwarded" => Ok(Self::Forwarded),
            other => Err(format!(
                "proxy_headers “{other}” is not x-forwarded or forwarded"
            )),
        }
    }
}

/// The peers whose forwarding headers are believed: a list of CIDR blocks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    blocks: Vec<IpNet>,
    headers: ProxyHeaders,
}

impl TrustedProxies {
    /// Parses `10.0.0.0/8, 192.0.2.7, 2001:db8::/32` (a bare address is a block of one).
    pub fn parse(list: &str, headers: ProxyHeaders) -> Result<Self, String> {
        let blocks = list
            .split([',', ' ', '\n', '\t'])
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(|item| {
                item.parse::<IpNet>()
                    .or_else(|_| item.parse::<IpAddr>().map(IpNet::from))
                    .map(|block| block.trunc())
                    .map_err(|_| {
                        format!("trusted proxy “{item}” is not an address or a CIDR block")
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { blocks, headers })
    }

    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }

    fn trusts(&self, address: IpAddr) -> bool {
        let address = address.to_canonical();
        self.blocks.iter().any(|block| block.contains(&address))
    }

    /// The client behind `peer`. `peer` is `None` where no socket is known (handler tests): the
    /// unspecified address stands in, trusted by nobody.
    pub fn resolve(
        &self,
        peer: Option<IpAddr>,
        headers: &HeaderMap,
        base_over_tls: bool,
    ) -> Client {
        let peer = peer
            .map(|address| address.to_canonical())
            .unwrap_or(IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED));
        let mut client = Client {
            address: peer,
            over_tls: base_over_tls,
        };
        if !self.trusts(peer) {
            return client;
        }
        let hops = match self.headers {
            ProxyHeaders::XForwarded => x_forwarded_for(headers),
            ProxyHeaders::Forwarded => forwarded(headers, "for"),
        };
        // Each proxy appends the address it saw, so the list is read from the right: the first
        // hop not in our own proxies is the client. What we cannot read stops the walk at the
        // last proxy we trust (whose address then stands for the client).
        for hop in hops.iter().rev() {
            match hop {
                Some(address) => {
                    client.address = address.to_canonical();
                    if !self.trusts(client.address) {
                        break;
                    }
                }
                None => break,
            }
        }
        let proto = match self.headers {
            ProxyHeaders::XForwarded => list_values(headers, "x-forwarded-proto").next(),
            ProxyHeaders::Forwarded => forwarded_values(headers, "proto").next(),
        };
        // The client-facing proxy's word (the first value) is what the browser used. A client
        // that claims TLS it does not have only gets headers its browser ignores over plain HTTP.
        if proto.is_some_and(|proto| proto.eq_ignore_ascii_case("https")) {
            client.over_tls = true;
        }
        client
    }
}

/// Comma-separated values of every `name` header, in order.
fn list_values<'a>(headers: &'a HeaderMap, name: &str) -> impl Iterator<Item = &'a str> {
    headers
        .get_all(name)
        .iter()
        .filter_map(|value: &HeaderValue| value.to_str().ok())
        .flat_map(|line| line.split(','))
        .map(str::trim)
        .filter(|value| !value.is_empty())
}

fn x_forwarded_for(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    list_values(headers, "x-forwarded-for")
        .map(node_address)
        .collect()
}

/// The values of `parameter` in each element of the `Forwarded` header(s) (RFC 7239 §4), in
/// order, unquoted; an element without it gives an empty string.
fn forwarded_values<'a>(
    headers: &'a HeaderMap,
    parameter: &'a str,
) -> impl Iterator<Item = &'a str> {
    list_values(headers, "forwarded").map(move |element| {
        element
            .split(';')
            .filter_map(|pair| pair.split_once('='))
            .find(|(name, _)| name.trim().eq_ignore_ascii_case(parameter))
            .map(|(_, value)| value.trim().trim_matches('"'))
            .unwrap_or("")
    })
}

fn forwarded(headers: &HeaderMap, parameter: &str) -> Vec<Option<IpAddr>> {
    forwarded_values(headers, parameter)
        .map(node_address)
        .collect()
}

/// An address as proxies write it: `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1`,
/// `[2001:db8::1]:4711`. `unknown` and obfuscated names (RFC 7239 §6.3) are not addresses.
fn node_address(node: &str) -> Option<IpAddr> {
    if let Ok(address) = node.parse::<IpAddr>() {
        return Some(address);
    }
    if let Some(rest) = node.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    let (host, port) = node.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("address")
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let proxies = TrustedProxies::parse("10.0.0.0/8", ProxyHeaders::XForwarded).expect("ok");
        let claims = headers(&[
            ("x-forwarded-for", "198.51.100.1"),
            ("x-forwarded-proto", "https"),
            ("forwarded", "for=198.51.100.2;proto=https"),
        ]);
        let client = proxies.resolve(Some(ip("203.0.113.9")), &claims, false);
        assert_eq!(client.address, ip("203.0.113.9"));
        assert!(!client.over_tls);
        let nobody = TrustedProxies::default();
        assert_eq!(
            nobody.resolve(Some(ip("10.0.0.1")), &claims, false).address,
            ip("10.0.0.1")
        );
    }

    #[test]
    fn the_walk_stops_at_the_first_address_that_is_not_ours() {
        let proxies =
            TrustedProxies::parse("10.0.0.0/8, 192.0.2.7", ProxyHeaders::XForwarded).expect("ok");
        // The client forged the first entry; our two proxies appended the rest.
        let chain = headers(&[("x-forwarded-for", "1.1.1.1, 203.0.113.5, 192.0.2.7")]);
        let client = proxies.resolve(Some(ip("10.1.2.3")), &chain, false);
        assert_eq!(client.address, ip("203.0.113.5"));
        // Split over two header lines, with a port, the same.
        let split = headers(&[
            ("x-forwarded-for", "1.1.1.1"),
            ("x-forwarded-for", "203.0.113.5:5123, 192.0.2.7"),
        ]);
        assert_eq!(
            proxies.resolve(Some(ip("10.1.2.3")), &split, false).address,
            ip("203.0.113.5")
        );
        // Garbage from upstream: the last proxy we trust stands for the client.
        let garbage = headers(&[("x-forwarded-for", "203.0.113.5, nonsense, 192.0.2.7")]);
        assert_eq!(
            proxies
                .resolve(Some(ip("10.1.2.3")), &garbage, false)
                .address,
            ip("192.0.2.7")
        );
        // No header: the proxy itself.
        assert_eq!(
            proxies
                .resolve(Some(ip("10.1.2.3")), &HeaderMap::new(), false)
                .address,
            ip("10.1.2.3")
        );
    }

    #[test]
    fn only_the_configured_header_family_is_read() {
        let x = TrustedProxies::parse("127.0.0.1", ProxyHeaders::XForwarded).expect("ok");
        let f = TrustedProxies::parse("127.0.0.1", ProxyHeaders::Forwarded).expect("ok");
        let both = headers(&[
            ("x-forwarded-for", "203.0.113.5"),
            (
                "forwarded",
                "for=198.51.100.1, for=\"[2001:db8::17]:4711\";proto=https",
            ),
        ]);
        let peer = Some(ip("127.0.0.1"));
        assert_eq!(x.resolve(peer, &both, false).address, ip("203.0.113.5"));
        assert!(!x.resolve(peer, &both, false).over_tls);
        let from_forwarded = f.resolve(peer, &both, false);
        assert_eq!(from_forwarded.address, ip("2001:db8::17"));
        // `proto` of the first element is absent: not TLS.
        assert!(!from_forwarded.over_tls);
        let tls = headers(&[("forwarded", "for=192.0.2.60;proto=https;by=203.0.113.43")]);
        let client = f.resolve(peer, &tls, false);
        assert_eq!(client.address, ip("192.0.2.60"));
        assert!(client.over_tls);
        let hidden = headers(&[("forwarded", "for=_hidden, for=unknown")]);
        assert_eq!(f.resolve(peer, &hidden, false).address, ip("127.0.0.1"));
    }

    #[test]
    fn mapped_addresses_and_blocks_compare_canonically() {
        let proxies = TrustedProxies::parse("10.0.0.0/8", ProxyHeaders::XForwarded).expect("ok");
        let forwarded = headers(&[
            ("x-forwarded-for", "::ffff:203.0.113.5"),
            ("x-forwarded-proto", "https"),
        ]);
        let client = proxies.resolve(Some(ip("::ffff:10.0.0.2")), &forwarded, false);
        assert_eq!(client.address, ip("203.0.113.5"));
        assert!(client.over_tls);
        assert!(TrustedProxies::parse("10.0.0.0/33", ProxyHeaders::XForwarded).is_err());
        assert!(TrustedProxies::parse("proxy.internal", ProxyHeaders::XForwarded).is_err());
        // A host address with a prefix is its block.
        let loose = TrustedProxies::parse("10.1.2.3/8", ProxyHeaders::XForwarded).expect("ok");
        assert!(loose.trusts(ip("10.200.0.1")));
        assert!(
            TrustedProxies::default()
                .resolve(None, &HeaderMap::new(), true)
                .over_tls
        );
    }
}
