//! What a throttle counts under: [`ThrottleKey`]s, made from a user-id (normalised, then
//! hashed) and from the client address, which [`ClientAddrSource`] finds.

use std::borrow::Cow;
use std::fmt;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use http::HeaderName;
use http::request::Parts;
use precis_profiles::UsernameCaseMapped;
use precis_profiles::precis_core::profile::PrecisFastInvocation;
use sha2::{Digest, Sha256};

use super::Limits;

/// What a throttle key stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum KeyKind {
    /// A user-id.
    Username,
    /// A client address (or IPv6 prefix).
    Address,
}

/// One count's key, handed to a [`ThrottleStore`](super::ThrottleStore): a user-id or a
/// client address, and the [`Limits`] that apply to it.
///
/// User-ids are kept as a SHA-256 prefix of their normalised form, never in clear, so a store
/// neither grows with long user-ids nor keeps a list of who tried to log in. The key's text
/// ([`to_hex`](Self::to_hex)) is stable across processes, so shared stores can key by it.
#[derive(Clone, Copy)]
pub struct ThrottleKey {
    kind: KeyKind,
    id: [u8; 16],
    limits: Limits,
}

impl ThrottleKey {
    /// The key of a user-id, exactly as given (the throttle passes the normalised form).
    pub(crate) fn username(name: &str, limits: Limits) -> Self {
        let digest = Sha256::new()
            .chain_update(b"tower-httpauth throttle user:")
            .chain_update(name.as_bytes())
            .finalize();
        let mut id = [0u8; 16];
        id.copy_from_slice(&digest[..16]);
        ThrottleKey {
            kind: KeyKind::Username,
            id,
            limits,
        }
    }

    /// The key of a client address (IPv4 addresses are mapped into IPv6).
    pub(crate) fn address(addr: IpAddr, limits: Limits) -> Self {
        let v6 = match addr {
            IpAddr::V4(a) => a.to_ipv6_mapped(),
            IpAddr::V6(a) => a,
        };
        ThrottleKey {
            kind: KeyKind::Address,
            id: v6.octets(),
            limits,
        }
    }

    pub(crate) fn kind(&self) -> KeyKind {
        self.kind
    }

    /// What identifies the count (the limits do not).
    pub(crate) fn slot(&self) -> (KeyKind, [u8; 16]) {
        (self.kind, self.id)
    }

    /// The limits that apply to this key.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The key as text, `u:` and 32 hex digits for a user-id, `a:` and 32 hex digits for an
    /// address: the same in every process, for stores that key by string.
    pub fn to_hex(&self) -> String {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut s = String::with_capacity(34);
        s.push_str(match self.kind {
            KeyKind::Username => "u:",
            KeyKind::Address => "a:",
        });
        for b in self.id {
            s.push(char::from(HEX[usize::from(b >> 4)]));
            s.push(char::from(HEX[usize::from(b & 15)]));
        }
        s
    }
}

/// Shows an address key's address, and only a short hash prefix of a user-id key: logs of
/// locks never name the user.
impl fmt::Debug for ThrottleKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            KeyKind::Username => write!(f, "ThrottleKey(user {})", &self.to_hex()[2..10]),
            KeyKind::Address => match Ipv6Addr::from(self.id).to_ipv4_mapped() {
                Some(v4) => write!(f, "ThrottleKey(address {v4})"),
                None => write!(f, "ThrottleKey(address {})", Ipv6Addr::from(self.id)),
            },
        }
    }
}

/// The keys of one request: at most one per kind, without allocating.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Keys {
    keys: [ThrottleKey; 2],
    len: usize,
}

impl Keys {
    pub(crate) fn new() -> Self {
        // A placeholder past `len`, never read.
        let unused = ThrottleKey {
            kind: KeyKind::Address,
            id: [0; 16],
            limits: Limits::new(0, Duration::ZERO, Duration::ZERO),
        };
        Keys {
            keys: [unused; 2],
            len: 0,
        }
    }

    pub(crate) fn push(&mut self, key: ThrottleKey) {
        if self.len < self.keys.len() {
            self.keys[self.len] = key;
            self.len += 1;
        }
    }

    pub(crate) fn as_slice(&self) -> &[ThrottleKey] {
        &self.keys[..self.len]
    }
}

/// The form a user-id is counted under by default: its PRECIS UsernameCaseMapped form
/// (RFC 8265 §3.3: width-mapped, lower-cased, NFC), each space-separated userpart on its
/// own, or, when that profile refuses the user-id, its Unicode lower case. Never fails, so
/// no user-id escapes counting. Borrows when the user-id is already in that form
/// (lower-case ASCII).
pub(crate) fn default_user_key(name: &str) -> Cow<'_, str> {
    // Printable ASCII is PVALID in the profile and only case-mapped; any other ASCII is
    // refused and lower-cased by the fallback, which gives the same.
    if name.is_ascii() {
        return if name.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(name.to_ascii_lowercase())
        } else {
            Cow::Borrowed(name)
        };
    }
    let mut out = String::with_capacity(name.len());
    for (i, part) in name.split(' ').enumerate() {
        match UsernameCaseMapped::enforce(part) {
            Ok(mapped) => {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(&mapped);
            }
            Err(_) => return Cow::Owned(name.to_lowercase()),
        }
    }
    Cow::Owned(out)
}

/// The client's address set on the request by the application, for the throttle to use:
/// insert it into the request extensions (say, in a small middleware that knows the peer)
/// when neither axum's `ConnectInfo` nor a `SocketAddr` extension tells the right address.
/// It comes first in [`ClientAddrSource::Connection`].
///
/// ```
/// use std::net::IpAddr;
/// use tower_httpauth::throttle::ClientAddr;
///
/// let mut req = http::Request::new(());
/// req.extensions_mut().insert(ClientAddr("203.0.113.7".parse::<IpAddr>().unwrap()));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientAddr(pub IpAddr);

type AddrFn = dyn Fn(&Parts) -> Option<IpAddr> + Send + Sync;

/// Where a [`Throttle`](super::Throttle) learns the client's address
/// ([`Throttle::client_addr`](super::Throttle::client_addr)).
#[derive(Clone)]
#[non_exhaustive]
pub enum ClientAddrSource {
    /// The connection's peer (the default): a [`ClientAddr`] extension, axum's
    /// `ConnectInfo<SocketAddr>` (feature `axum`), or a [`SocketAddr`] extension, in that
    /// order.
    Connection,
    /// A header written by trusted proxies (`X-Forwarded-For` style: a comma-separated list of
    /// addresses, each proxy appending its peer). With `hops` trusted proxies the client is the
    /// `hops`-th entry from the right; entries further left were written by the client and are
    /// ignored. If the header is missing, has too few entries or the entry is not an address,
    /// the connection's peer is used.
    Header {
        /// The header's name.
        name: HeaderName,
        /// How many proxies in front of the app append to it (at least 1).
        hops: usize,
    },
    /// Your own function of the request head ([`ClientAddrSource::custom`]).
    Custom(Arc<AddrFn>),
    /// No address: count per user-id only.
    None,
}

impl fmt::Debug for ClientAddrSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientAddrSource::Connection => f.write_str("Connection"),
            ClientAddrSource::Header { name, hops } => f
                .debug_struct("Header")
                .field("name", name)
                .field("hops", hops)
                .finish(),
            ClientAddrSource::Custom(_) => f.write_str("Custom(..)"),
            ClientAddrSource::None => f.write_str("None"),
        }
    }
}

impl ClientAddrSource {
    /// `X-Forwarded-For` behind `hops` trusted proxies.
    pub fn forwarded_for(hops: usize) -> Self {
        ClientAddrSource::header(HeaderName::from_static("x-forwarded-for"), hops)
    }

    /// A header such as `X-Real-IP` (`hops = 1`) behind `hops` trusted proxies.
    pub fn header(name: HeaderName, hops: usize) -> Self {
        ClientAddrSource::Header {
            name,
            hops: hops.max(1),
        }
    }

    /// Your own function of the request head.
    pub fn custom(f: impl Fn(&Parts) -> Option<IpAddr> + Send + Sync + 'static) -> Self {
        ClientAddrSource::Custom(Arc::new(f))
    }

    /// The client address of the request whose head is `parts`, if known.
    pub fn client_addr(&self, parts: &Parts) -> Option<IpAddr> {
        match self {
            ClientAddrSource::Connection => connection_addr(parts),
            ClientAddrSource::Header { name, hops } => forwarded(parts, name, *hops).or_else(|| connection_addr(parts)),
            ClientAddrSource::Custom(f) => f(parts),
            ClientAddrSource::None => None,
        }
    }

    /// Whether no address means the source is not set up: a custom function or `None`
    /// answering no address decided so itself.
    pub(crate) fn expects_an_address(&self) -> bool {
        matches!(self, ClientAddrSource::Connection | ClientAddrSource::Header { .. })
    }
}

fn connection_addr(parts: &Parts) -> Option<IpAddr> {
    if let Some(ClientAddr(ip)) = parts.extensions.get::<ClientAddr>() {
        return Some(*ip);
    }
    #[cfg(feature = "axum")]
    if let Some(info) = parts.extensions.get::<axum::extract::ConnectInfo<SocketAddr>>() {
        return Some(info.0.ip());
    }
    parts.extensions.get::<SocketAddr>().map(SocketAddr::ip)
}

/// The `hops`-th address from the right of all `name` fields (joined in order).
fn forwarded(parts: &Parts, name: &HeaderName, hops: usize) -> Option<IpAddr> {
    // Walk the fields from the last one backwards, entries right to left, and stop at the
    // entry wanted: the work is bounded by `hops`, not by what the client wrote.
    let mut seen = 0usize;
    for value in parts.headers.get_all(name).iter().rev() {
        let Ok(text) = value.to_str() else { return None };
        for entry in text.rsplit(',') {
            seen += 1;
            if seen == hops {
                return parse_addr(entry.trim());
            }
        }
    }
    None
}

/// An IP address, `v4:port`, `[v6]` or `[v6]:port`.
fn parse_addr(s: &str) -> Option<IpAddr> {
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(sa) = s.parse::<SocketAddr>() {
        return Some(sa.ip());
    }
    s.strip_prefix('[')?.strip_suffix(']')?.parse().ok()
}

/// `ip` with an IPv6 address cut to its first `prefix` bits (one host usually owns a whole
/// /64); IPv4 (and IPv4-mapped) addresses are kept whole.
pub(crate) fn mask(ip: IpAddr, prefix: u8) -> IpAddr {
    match ip {
        IpAddr::V6(v6) if v6.to_ipv4_mapped().is_none() => {
            let bits = u128::from(v6);
            let m = if prefix == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(prefix.min(128)))
            };
            IpAddr::V6(Ipv6Addr::from(bits & m))
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits::default_username()
    }

    #[test]
    fn forwarded_for_trusts_only_the_given_hops() {
        let mut parts = http::Request::new(()).into_parts().0;
        parts
            .headers
            .append("x-forwarded-for", "6.6.6.6, 1.1.1.1".parse().unwrap());
        parts.headers.append("x-forwarded-for", "2.2.2.2:4711".parse().unwrap());
        parts.extensions.insert(SocketAddr::from(([9, 9, 9, 9], 1)));
        let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        assert_eq!(ClientAddrSource::forwarded_for(1).client_addr(&parts), ip("2.2.2.2"));
        assert_eq!(ClientAddrSource::forwarded_for(2).client_addr(&parts), ip("1.1.1.1"));
        assert_eq!(ClientAddrSource::forwarded_for(3).client_addr(&parts), ip("6.6.6.6"));
        // Too few entries: the connection's peer.
        assert_eq!(ClientAddrSource::forwarded_for(4).client_addr(&parts), ip("9.9.9.9"));
        assert_eq!(ClientAddrSource::Connection.client_addr(&parts), ip("9.9.9.9"));
        parts.headers.insert("x-real-ip", "[2001:db8::1]".parse().unwrap());
        let real = ClientAddrSource::header(HeaderName::from_static("x-real-ip"), 1);
        assert_eq!(real.client_addr(&parts), ip("2001:db8::1"));
        parts.headers.insert("x-real-ip", "garbage".parse().unwrap());
        assert_eq!(real.client_addr(&parts), ip("9.9.9.9"));
    }

    #[test]
    fn default_user_keys_fold_case_and_width_and_never_fail() {
        for (name, key) in [
            ("admin", "admin"),
            ("ADMIN", "admin"),
            ("ａｄｍｉｎ", "admin"),
            ("ＡｄＭｉＮ", "admin"),
            ("J\u{c4}s\u{f8}n DOE", "j\u{e4}s\u{f8}n doe"),
            ("Ja\u{308}son", "j\u{e4}son"), // NFC
            ("userhash:ABCDEF", "userhash:abcdef"),
            // Refused by the profile: lower-cased as text, still a key.
            ("Crab\u{1f980}", "crab\u{1f980}"),
            ("Two  Spaces", "two  spaces"),
            (" É", " é"),
            ("A\u{7}B", "a\u{7}b"),
            ("", ""),
        ] {
            assert_eq!(default_user_key(name), key, "{name:?}");
        }
        assert!(matches!(default_user_key("admin"), Cow::Borrowed(_)));
        assert_eq!(
            ThrottleKey::username(&default_user_key("ＡＤＭＩＮ"), limits()).to_hex(),
            ThrottleKey::username("admin", limits()).to_hex()
        );
    }

    #[test]
    fn ipv6_grouped_by_prefix_and_keys_do_not_hold_names() {
        let a = mask("2001:db8:1:2:aaaa::1".parse().unwrap(), 64);
        let b = mask("2001:db8:1:2:bbbb::2".parse().unwrap(), 64);
        assert_eq!(a, b);
        assert_eq!(
            mask("10.0.0.1".parse().unwrap(), 64),
            "10.0.0.1".parse::<IpAddr>().unwrap()
        );
        let k = ThrottleKey::username("alice-secret-name", limits());
        assert!(!format!("{k:?}").contains("alice"));
        assert_eq!(k.to_hex().len(), 34);
        assert!(k.to_hex().starts_with("u:"));
        assert_eq!(
            format!("{:?}", ThrottleKey::address("10.0.0.1".parse().unwrap(), limits())),
            "ThrottleKey(address 10.0.0.1)"
        );
    }
}
