//! Which address a request comes from. Forwarded headers are believed only when the peer is
//! one of our own proxies (`HC_TRUSTED_PROXIES`); anyone else could write them to get a fresh
//! limit with every request.

use std::net::IpAddr;

use ipnet::IpNet;

/// The proxies in front of the service, as CIDRs; empty trusts no forwarded header.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// A comma-separated list of CIDRs or single addresses, e.g. `10.0.0.0/8, 127.0.0.1`.
    pub fn parse(raw: &str) -> Result<Self, String> {
        raw.split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .map(|part| {
                part.parse::<IpNet>()
                    .or_else(|_| part.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("`{part}` is not an address or a CIDR such as 10.0.0.0/8"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }

    pub fn trusts(&self, address: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&address))
    }

    /// The client: the peer, or when the peer is a trusted proxy, the last address in the
    /// forwarded chain that is not one of ours (earlier entries are the client's own word).
    pub fn client_of(
        &self,
        peer: IpAddr,
        x_forwarded_for: Option<&str>,
        forwarded: Option<&str>,
    ) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let chain: Vec<IpAddr> = match (x_forwarded_for, forwarded) {
            (Some(list), _) => list.split(',').filter_map(parse_hop).collect(),
            (None, Some(header)) => forwarded_for(header),
            (None, None) => Vec::new(),
        };
        chain
            .iter()
            .rev()
            .find(|hop| !self.trusts(**hop))
            .or(chain.first())
            .copied()
            .unwrap_or(peer)
    }
}

/// The `for=` addresses of a `Forwarded` header (RFC 7239), in order.
fn forwarded_for(header: &str) -> Vec<IpAddr> {
    header
        .split(',')
        .flat_map(|element| element.split(';'))
        .filter_map(|pair| {
            let (name, value) = pair.split_once('=')?;
            name.trim()
                .eq_ignore_ascii_case("for")
                .then(|| parse_hop(value))
                .flatten()
        })
        .collect()
}

/// One hop: `1.2.3.4`, `1.2.3.4:80`, `"[2001:db8::1]:4711"` or `2001:db8::1`.
fn parse_hop(raw: &str) -> Option<IpAddr> {
    let hop = raw.trim().trim_matches('"');
    if let Ok(address) = hop.parse() {
        return Some(address);
    }
    if let Some(rest) = hop.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    hop.rsplit_once(':')?.0.parse().ok()
}

/// The part of an address that names one client for limits: an IPv6 client gets a whole /64
/// from its provider, so counting single addresses would let it change address at will.
pub fn limit_key(client: IpAddr) -> String {
    match client {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let segments = v6.segments();
                format!(
                    "{:x}:{:x}:{:x}:{:x}::/64",
                    segments[0], segments[1], segments[2], segments[3]
                )
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_headers_count_only_from_trusted_proxies() {
        let none = TrustedProxies::default();
        assert_eq!(
            none.client_of(ip("203.0.113.9"), Some("198.51.100.1"), None),
            ip("203.0.113.9")
        );
        let ours = TrustedProxies::parse("10.0.0.0/8, 127.0.0.1").unwrap();
        assert_eq!(
            ours.client_of(ip("10.1.2.3"), Some("198.51.100.1, 10.0.0.5"), None),
            ip("198.51.100.1")
        );
        // A client that writes its own header gets the address our proxy saw, not its word.
        assert_eq!(
            ours.client_of(ip("127.0.0.1"), Some("1.1.1.1, 203.0.113.7"), None),
            ip("203.0.113.7")
        );
        assert_eq!(
            ours.client_of(
                ip("10.1.2.3"),
                None,
                Some(r#"for="[2001:db8::1]:4711";proto=https, for=10.0.0.2"#)
            ),
            ip("2001:db8::1")
        );
        assert_eq!(ours.client_of(ip("10.1.2.3"), None, None), ip("10.1.2.3"));
        assert_eq!(
            ours.client_of(ip("10.1.2.3"), Some("garbage"), None),
            ip("10.1.2.3")
        );
    }

    #[test]
    fn proxies_are_cidrs_or_addresses() {
        assert!(TrustedProxies::parse("").unwrap().0.is_empty());
        assert!(TrustedProxies::parse("10.0.0.0/8,::1").is_ok());
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
        assert!(TrustedProxies::parse("proxy.internal").is_err());
    }

    #[test]
    fn an_ipv6_client_is_its_slash_64() {
        assert_eq!(limit_key(ip("2001:db8:1:2:3:4:5:6")), "2001:db8:1:2::/64");
        assert_eq!(limit_key(ip("::ffff:192.0.2.1")), "192.0.2.1");
        assert_eq!(limit_key(ip("192.0.2.1")), "192.0.2.1");
    }
}
