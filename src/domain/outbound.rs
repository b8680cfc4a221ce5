//! Where hearth may send requests on a user's behalf (outgoing webhooks, slash commands,
//! link previews): only to public addresses, unless the operator allow-lists others. The
//! check is of addresses after name resolution, so that no spelling of a host (`localhost`,
//! `2130706433`, `0x7f.1`, a name that resolves to `10.0.0.5`) gets past it; the loose
//! IPv4 spellings are read here too, to refuse them before any lookup.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

/// Why an address is refused: it is not a public unicast address.
pub fn refusal(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => refusal_v4(v4),
        IpAddr::V6(v6) => refusal_v6(v6),
    }
}

fn net4(a: u8, b: u8, c: u8, d: u8, len: u8) -> Ipv4Net {
    Ipv4Net::new_assert(Ipv4Addr::new(a, b, c, d), len)
}

fn refusal_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let ranges: [(Ipv4Net, &str); 16] = [
        (net4(0, 0, 0, 0, 8), "\"this network\" (0.0.0.0/8)"),
        (net4(10, 0, 0, 0, 8), "private (10.0.0.0/8)"),
        (net4(100, 64, 0, 0, 10), "shared carrier-grade NAT (100.64.0.0/10)"),
        (net4(127, 0, 0, 0, 8), "loopback (127.0.0.0/8)"),
        (net4(169, 254, 0, 0, 16), "link-local (169.254.0.0/16)"),
        (net4(172, 16, 0, 0, 12), "private (172.16.0.0/12)"),
        (net4(192, 0, 0, 0, 24), "IETF protocol assignments (192.0.0.0/24)"),
        (net4(192, 0, 2, 0, 24), "documentation (192.0.2.0/24)"),
        (net4(192, 88, 99, 0, 24), "6to4 relay anycast (192.88.99.0/24)"),
        (net4(192, 168, 0, 0, 16), "private (192.168.0.0/16)"),
        (net4(198, 18, 0, 0, 15), "benchmarking (198.18.0.0/15)"),
        (net4(198, 51, 100, 0, 24), "documentation (198.51.100.0/24)"),
        (net4(203, 0, 113, 0, 24), "documentation (203.0.113.0/24)"),
        (net4(224, 0, 0, 0, 4), "multicast (224.0.0.0/4)"),
        (net4(240, 0, 0, 0, 4), "reserved (240.0.0.0/4)"),
        (net4(255, 255, 255, 255, 32), "broadcast"),
    ];
    ranges.iter().find(|(net, _)| net.contains(&ip)).map(|(_, why)| *why)
}

fn net6(segments: [u16; 8], len: u8) -> Ipv6Net {
    Ipv6Net::new_assert(Ipv6Addr::from(segments), len)
}

fn refusal_v6(ip: Ipv6Addr) -> Option<&'static str> {
    // An IPv4-mapped address is the IPv4 address itself.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return refusal_v4(v4).map(|_| "an IPv4-mapped form of an address that is not public");
    }
    // Forms that tunnel to IPv4 (compatible, NAT64, 6to4, Teredo) are refused whatever
    // they carry: they are ways around the IPv4 ranges above.
    let ranges: [(Ipv6Net, &str); 14] = [
        (net6([0, 0, 0, 0, 0, 0, 0, 0], 128), "unspecified (::)"),
        (net6([0, 0, 0, 0, 0, 0, 0, 1], 128), "loopback (::1)"),
        (net6([0, 0, 0, 0, 0, 0, 0, 0], 96), "IPv4-compatible (::/96)"),
        (net6([0x64, 0xff9b, 0, 0, 0, 0, 0, 0], 96), "NAT64 (64:ff9b::/96)"),
        (net6([0x64, 0xff9b, 1, 0, 0, 0, 0, 0], 48), "local NAT64 (64:ff9b:1::/48)"),
        (net6([0x100, 0, 0, 0, 0, 0, 0, 0], 64), "discard (100::/64)"),
        (net6([0x2001, 0, 0, 0, 0, 0, 0, 0], 32), "Teredo (2001::/32)"),
        (net6([0x2001, 0, 0, 0, 0, 0, 0, 0], 23), "IETF protocol assignments (2001::/23)"),
        (net6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32), "documentation (2001:db8::/32)"),
        (net6([0x2002, 0, 0, 0, 0, 0, 0, 0], 16), "6to4 (2002::/16)"),
        (net6([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7), "unique local (fc00::/7)"),
        (net6([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10), "link-local (fe80::/10)"),
        (net6([0xfec0, 0, 0, 0, 0, 0, 0, 0], 10), "site-local (fec0::/10)"),
        (net6([0xff00, 0, 0, 0, 0, 0, 0, 0], 8), "multicast (ff00::/8)"),
    ];
    ranges.iter().find(|(net, _)| net.contains(&ip)).map(|(_, why)| *why)
}

/// A host written as an IPv4 address the way `inet_aton` reads it: one to four parts, each
/// decimal, octal (`0177`) or hex (`0x7f`), the last filling the remaining bytes
/// (`2130706433`, `127.1`, `0x7f.0.0.1`). `None` for anything else, names included.
pub fn loose_ipv4(host: &str) -> Option<Ipv4Addr> {
    let host = host.strip_suffix('.').unwrap_or(host);
    let parts: Vec<&str> = host.split('.').collect();
    if parts.is_empty() || parts.len() > 4 {
        return None;
    }
    let mut values = Vec::with_capacity(parts.len());
    for part in &parts {
        let (digits, radix) = if let Some(hex) = part.strip_prefix("0x").or_else(|| part.strip_prefix("0X")) {
            (hex, 16)
        } else if part.len() > 1 && part.starts_with('0') {
            (&part[1..], 8)
        } else {
            (*part, 10)
        };
        if digits.is_empty() && radix != 16 {
            return None;
        }
        let value = if digits.is_empty() { 0 } else { u64::from_str_radix(digits, radix).ok()? };
        values.push(value);
    }
    let (last, first) = values.split_last()?;
    // The leading parts are a byte each; the last fills the bytes that remain.
    let mut bytes = Vec::with_capacity(4);
    for v in first {
        bytes.push(u8::try_from(*v).ok()?);
    }
    let rest = (*last).to_be_bytes();
    let tail = &rest[8 - (4 - bytes.len())..];
    if rest[..8 - tail.len()].iter().any(|b| *b != 0) {
        return None;
    }
    bytes.extend_from_slice(tail);
    let octets: [u8; 4] = bytes.try_into().ok()?;
    Some(Ipv4Addr::from(octets))
}

/// The operator's exceptions (`HEARTH_OUTBOUND_ALLOW`): networks (`10.0.0.0/8`), single
/// addresses (`127.0.0.1`) and host names (`hooks.internal`), comma-separated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowList {
    nets: Vec<IpNet>,
    hosts: Vec<String>,
}

impl AllowList {
    pub fn parse(raw: &str) -> Result<AllowList, String> {
        let mut list = AllowList::default();
        for item in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            if let Ok(net) = item.parse::<IpNet>() {
                list.nets.push(net.trunc());
            } else if let Ok(ip) = item.parse::<IpAddr>() {
                list.nets.push(IpNet::from(ip));
            } else if item.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'))
                && !item.starts_with('-')
            {
                list.hosts.push(item.to_ascii_lowercase());
            } else {
                return Err(format!("\"{item}\" is not an address, a network (10.0.0.0/8) or a host name"));
            }
        }
        Ok(list)
    }

    pub fn allows_host(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.hosts.contains(&host)
    }

    pub fn allows_ip(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 @ IpAddr::V4(_) => v4,
        };
        self.nets.iter().any(|n| n.contains(&ip))
    }

    pub fn is_empty(&self) -> bool {
        self.nets.is_empty() && self.hosts.is_empty()
    }
}

/// Whether a request may go to `ip`, reached for `host`: public, or allow-listed.
pub fn check(ip: IpAddr, host: &str, allow: &AllowList) -> Result<(), String> {
    if allow.allows_host(host) || allow.allows_ip(ip) {
        return Ok(());
    }
    match refusal(ip) {
        Some(why) => Err(format!("{host} is at {ip}, which is {why}; hearth sends only to public addresses")),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_that_are_not_public_are_refused() {
        let refused = [
            "0.0.0.0",
            "0.1.2.3",
            "10.0.0.1",
            "10.255.255.255",
            "100.64.0.1",
            "100.127.255.254",
            "127.0.0.1",
            "127.255.255.254",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "192.88.99.1",
            "192.168.1.1",
            "198.18.0.1",
            "198.19.255.255",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "::127.0.0.1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::127.0.0.1",
            "64:ff9b::a00:1",
            "64:ff9b:1::a00:1",
            "2002:7f00:1::",
            "2002:c0a8:101::1",
            "2002:808:808::",
            "64:ff9b::808:808",
            "2001:0:4136:e378:8000:63bf:f5ff:fffe",
            "2001:db8::1",
            "100::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
        ];
        assert!(refused.len() >= 40);
        for raw in refused {
            let ip: IpAddr = raw.parse().unwrap();
            assert!(refusal(ip).is_some(), "{raw} must be refused");
        }
        for raw in [
            "1.1.1.1",
            "8.8.8.8",
            "93.184.215.14",
            "2606:4700:4700::1111",
            "2a00:1450:4001:82a::200e",
            "::ffff:8.8.8.8",
        ] {
            let ip: IpAddr = raw.parse().unwrap();
            assert_eq!(refusal(ip), None, "{raw} is public");
        }
    }

    #[test]
    fn loose_spellings_of_ipv4_read_as_inet_aton_reads_them() {
        let cases = [
            ("2130706433", Some([127, 0, 0, 1])),
            ("0177.0.0.1", Some([127, 0, 0, 1])),
            ("0x7f.0.0.1", Some([127, 0, 0, 1])),
            ("0x7f000001", Some([127, 0, 0, 1])),
            ("127.1", Some([127, 0, 0, 1])),
            ("127.0.1", Some([127, 0, 0, 1])),
            ("10.0.0.1.", Some([10, 0, 0, 1])),
            ("017700000001", Some([127, 0, 0, 1])),
            ("0xa9.0xfe.0xa9.0xfe", Some([169, 254, 169, 254])),
            ("1.2.3.4", Some([1, 2, 3, 4])),
            ("example.com", None),
            ("1.2.3.4.5", None),
            ("256.1.1.1", None),
            ("1.2.3.256", None),
            ("08.1.1.1", None),
            ("4294967296", None),
            ("", None),
        ];
        for (host, expected) in cases {
            assert_eq!(loose_ipv4(host), expected.map(Ipv4Addr::from), "{host}");
        }
    }

    #[test]
    fn the_operator_allows_exceptions() {
        let allow = AllowList::parse("127.0.0.1, 10.0.0.0/8,hooks.internal,fd00::/8").unwrap();
        assert!(check("127.0.0.1".parse().unwrap(), "localhost", &allow).is_ok());
        assert!(check("::ffff:127.0.0.1".parse().unwrap(), "x", &allow).is_ok());
        assert!(check("10.9.8.7".parse().unwrap(), "ci", &allow).is_ok());
        assert!(check("192.168.0.1".parse().unwrap(), "hooks.internal", &allow).is_ok());
        assert!(check("192.168.0.1".parse().unwrap(), "other.internal", &allow).is_err());
        assert!(check("127.0.0.2".parse().unwrap(), "x", &allow).is_err());
        assert!(check("8.8.8.8".parse().unwrap(), "dns.google", &AllowList::default()).is_ok());
        assert!(AllowList::parse("10.0.0.0/33").is_err());
        assert!(AllowList::parse("not a host!").is_err());
        assert!(AllowList::parse("").unwrap().is_empty());
    }
}
