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
        let address = address.to_canonical();
        self.0.iter().any(|net| net.contains(&address))
    }

    /// The client: the peer, or when the peer is a trusted proxy, the last address in the
    /// forwarded chain that is not one of ours (earlier entries are the client's own word).
    /// `X-Forwarded-For` wins over `Forwarded` when both came, so a proxy that writes only
    /// `Forwarded` must drop the client's `X-Forwarded-For`. A hop that cannot be read ends
    /// the walk at the nearest address we could trust.
    pub fn client_of(
        &self,
        peer: IpAddr,
        x_forwarded_for: Option<&str>,
        forwarded: Option<&str>,
    ) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.trusts(peer) {
            return peer;
        }
        let chain: Vec<Option<IpAddr>> = match (x_forwarded_for, forwarded) {
            (Some(list), _) => list.split(',').map(parse_hop).collect(),
            (None, Some(header)) => forwarded_for(header),
            (None, None) => Vec::new(),
        };
        let mut nearest = peer;
        for hop in chain.into_iter().rev() {
            match hop.map(|address| address.to_canonical()) {
                Some(address) if self.trusts(address) => nearest = address,
                Some(address) => return address,
                None => return nearest,
            }
        }
        nearest
    }
}

/// The `for=` addresses of a `Forwarded` header (RFC 7239), in order; `None` for one that is
/// not an address (`unknown`, `_hidden`).
fn forwarded_for(header: &str) -> Vec<Option<IpAddr>> {
    header
        .split(',')
        .flat_map(|element| element.split(';'))
        .filter_map(|pair| {
            let (name, value) = pair.split_once('=')?;
            name.trim()
                .eq_ignore_ascii_case("for")
                .then(|| parse_hop(value))
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

/// What names one client for limits: an IPv4 address, or an IPv6 client's /64, since a
/// provider gives each customer a whole /64 and counting single addresses would let a client
/// change address at will. At most 24 characters.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ClientKey(String);

impl ClientKey {
    pub fn of(client: IpAddr) -> Self {
        Self(match client.to_canonical() {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => {
                let segments = v6.segments();
                format!(
                    "{:x}:{:x}:{:x}:{:x}::/64",
                    segments[0], segments[1], segments[2], segments[3]
                )
            }
        })
    }

    pub fn as_str(&self) -> &str {
        &self.0
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
    fn a_hop_that_cannot_be_read_ends_the_walk_at_our_nearest_address() {
        let ours = TrustedProxies::parse("10.0.0.0/8").unwrap();
        // What stands left of an unreadable hop was written by someone we cannot vouch for.
        assert_eq!(
            ours.client_of(ip("10.0.0.1"), Some("198.51.100.7, junk, 10.0.0.9"), None),
            ip("10.0.0.9")
        );
        assert_eq!(
            ours.client_of(ip("10.0.0.1"), None, Some("for=198.51.100.7, for=unknown")),
            ip("10.0.0.1")
        );
        // Every hop ours: the farthest one is the client.
        assert_eq!(
            ours.client_of(ip("10.0.0.1"), Some("10.9.9.9, 10.0.0.2"), None),
            ip("10.9.9.9")
        );
    }

    #[test]
    fn ipv4_mapped_peers_and_hops_are_their_ipv4_addresses() {
        let ours = TrustedProxies::parse("127.0.0.1").unwrap();
        assert!(ours.trusts(ip("::ffff:127.0.0.1")));
        assert_eq!(
            ours.client_of(ip("::ffff:127.0.0.1"), Some("::ffff:203.0.113.5"), None),
            ip("203.0.113.5")
        );
        assert_eq!(
            TrustedProxies::default().client_of(ip("::ffff:192.0.2.1"), None, None),
            ip("192.0.2.1")
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
        let key = |s: &str| ClientKey::of(ip(s)).as_str().to_string();
        assert_eq!(key("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
        assert_eq!(key("2001:db8:1:2:ffff::1"), "2001:db8:1:2::/64");
        assert_eq!(key("::ffff:192.0.2.1"), "192.0.2.1");
        assert_eq!(key("192.0.2.1"), "192.0.2.1");
        let longest = key("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
        assert!(longest.len() <= 24, "{longest}");
    }
}
