//! Digest `Authorization` credentials (RFC 7616 §3.4), read through the crate's one
//! auth-param parser ([`AuthParams`](crate::header::AuthParams)).

use std::borrow::Cow;
use std::fmt;

use super::algorithm::{Algorithm, Qop};
use super::hex::RawDigest;
#[cfg(test)]
use crate::header::split_scheme;
use crate::header::{ParamError, ParamValue};

/// The longest value accepted for any single Digest parameter, in bytes.
pub(crate) const MAX_PARAM_LEN: usize = 1024;

/// Why Digest credentials could not be read (answered `400`, or `401` for an algorithm or
/// qop that was not offered).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DigestParseError {
    /// The value is not `Digest` followed by an auth-param list.
    #[cfg(test)]
    NotDigest,
    /// The auth-param list is malformed (unbalanced quotes, duplicated names, …).
    Params(ParamError),
    /// A required parameter is missing.
    Missing(&'static str),
    /// A parameter value is longer than [`MAX_PARAM_LEN`].
    TooLong(&'static str),
    /// `username` and `username*` were both sent (RFC 7616 §3.4).
    UsernameAndUsernameStar,
    /// `username*` is not a valid RFC 5987 ext-value in UTF-8, or came with `userhash=true`.
    BadUsernameStar,
    /// `nc` is not exactly 8 hex digits.
    BadNonceCount,
    /// `qop` is not `auth` or `auth-int`.
    UnknownQop,
    /// `algorithm` is not one of RFC 7616's.
    UnknownAlgorithm,
    /// `userhash` is neither `true` nor `false`.
    BadUserhash,
}

impl fmt::Display for DigestParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            #[cfg(test)]
            DigestParseError::NotDigest => f.write_str("not Digest credentials"),
            DigestParseError::Params(e) => write!(f, "Digest credentials: {e}"),
            DigestParseError::Missing(p) => write!(f, "Digest credentials lack `{p}`"),
            DigestParseError::TooLong(p) => write!(f, "Digest parameter `{p}` is too long"),
            DigestParseError::UsernameAndUsernameStar => f.write_str("both `username` and `username*` sent"),
            DigestParseError::BadUsernameStar => f.write_str("malformed `username*`"),
            DigestParseError::BadNonceCount => f.write_str("`nc` is not exactly 8 hex digits"),
            DigestParseError::UnknownQop => f.write_str("unknown `qop`"),
            DigestParseError::UnknownAlgorithm => f.write_str("unknown `algorithm`"),
            DigestParseError::BadUserhash => f.write_str("`userhash` is neither true nor false"),
        }
    }
}

impl std::error::Error for DigestParseError {}

/// Parsed Digest credentials.
///
/// Values are unquoted (`unq()`); `algorithm`, `qop` and `nc` are accepted quoted or not,
/// since python `requests` and wget quote them. `Debug` hides the `response`.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct DigestCredentials<'a> {
    username: Cow<'a, str>,
    username_star: bool,
    userhash: bool,
    realm: Cow<'a, str>,
    nonce: Cow<'a, str>,
    uri: Cow<'a, str>,
    response: Cow<'a, str>,
    algorithm: Algorithm,
    algorithm_sent: bool,
    qop: Option<Qop>,
    nc: Option<(u32, [u8; 8])>,
    cnonce: Option<Cow<'a, str>>,
    opaque: Option<Cow<'a, str>>,
}

impl fmt::Debug for DigestCredentials<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DigestCredentials")
            .field("username", &self.username)
            .field("userhash", &self.userhash)
            .field("realm", &self.realm)
            .field("uri", &self.uri)
            .field("algorithm", &self.algorithm)
            .field("qop", &self.qop)
            .field("nc", &self.nc.map(|(n, _)| n))
            .field("response", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// The parameters Digest reads, taken out of the list in one pass.
#[derive(Default)]
struct Slots<'a> {
    username: Option<ParamValue<'a>>,
    username_star: Option<ParamValue<'a>>,
    userhash: Option<ParamValue<'a>>,
    realm: Option<ParamValue<'a>>,
    nonce: Option<ParamValue<'a>>,
    uri: Option<ParamValue<'a>>,
    response: Option<ParamValue<'a>>,
    algorithm: Option<ParamValue<'a>>,
    qop: Option<ParamValue<'a>>,
    nc: Option<ParamValue<'a>>,
    cnonce: Option<ParamValue<'a>>,
    opaque: Option<ParamValue<'a>>,
}

/// The slot of a Digest parameter name (a `tchar` token, any case): the length and the
/// first letter pick the one candidate, then one case-insensitive comparison.
fn slot_index(name: &str) -> Option<usize> {
    let n = name.as_bytes();
    let slot = match (n.len(), n.first()? | 0x20) {
        // `username` and `userhash` differ in their fifth letter.
        (8, b'u') if n[4] | 0x20 == b'h' => 2,
        (8, b'u') => 0,
        (9, b'u') => 1,
        (5, b'r') => 3,
        (5, b'n') => 4,
        (3, b'u') => 5,
        (8, b'r') => 6,
        (9, b'a') => 7,
        (3, b'q') => 8,
        (2, b'n') => 9,
        (6, b'c') => 10,
        (6, b'o') => 11,
        _ => return None,
    };
    folded_eq(n, SLOT_NAMES[slot].as_bytes()).then_some(slot)
}

/// Whether the `tchar` name `n` equals `want` (one of [`SLOT_NAMES`]) ignoring case: each
/// byte of `n` ORed with 0x20. Two overlapping loads per side instead of a
/// byte loop.
#[inline]
fn folded_eq(n: &[u8], want: &[u8]) -> bool {
    fn at<const K: usize>(s: &[u8], i: usize) -> [u8; K] {
        s.get(i..i + K).and_then(|b| b.try_into().ok()).unwrap_or([0; K])
    }
    let len = n.len();
    if len != want.len() {
        return false;
    }
    match len {
        2..=3 => {
            let f = |s: &[u8], i| u16::from_le_bytes(at(s, i));
            (f(n, 0) | 0x2020) == f(want, 0) && (f(n, len - 2) | 0x2020) == f(want, len - 2)
        }
        4..=7 => {
            let f = |s: &[u8], i| u32::from_le_bytes(at(s, i));
            (f(n, 0) | 0x2020_2020) == f(want, 0) && (f(n, len - 4) | 0x2020_2020) == f(want, len - 4)
        }
        8..=16 => {
            let f = |s: &[u8], i| u64::from_le_bytes(at(s, i));
            const FOLD: u64 = 0x2020_2020_2020_2020;
            (f(n, 0) | FOLD) == f(want, 0) && (f(n, len - 8) | FOLD) == f(want, len - 8)
        }
        _ => n.iter().zip(want).all(|(&a, &b)| a | 0x20 == b),
    }
}

/// The parameters Digest reads, in slot order (and for error messages): lowercase letters
/// and `*`. ORing a `tchar` byte with 0x20 is exact case-folding against these: only `X`
/// and `x` fold to `x`, and only `*` (not `\n`, which is no tchar) folds to `*`.
const SLOT_NAMES: [&str; 12] = [
    "username",
    "username*",
    "userhash",
    "realm",
    "nonce",
    "uri",
    "response",
    "algorithm",
    "qop",
    "nc",
    "cnonce",
    "opaque",
];

impl<'a> Slots<'a> {
    /// Parses the list straight into the slots (no intermediate list, no copies).
    fn parse(input: &'a [u8]) -> Result<Self, DigestParseError> {
        let mut s = Slots::default();
        let mut too_long: Option<&'static str> = None;
        crate::header::parse_each(input, |name, value| {
            // Unknown parameters are ignored (RFC 7616 §3.4); duplicates are refused by
            // the parser.
            let Some(i) = slot_index(name) else {
                return;
            };
            if value.as_str().len() > MAX_PARAM_LEN {
                too_long.get_or_insert(SLOT_NAMES[i]);
                return;
            }
            let slot = match i {
                0 => &mut s.username,
                1 => &mut s.username_star,
                2 => &mut s.userhash,
                3 => &mut s.realm,
                4 => &mut s.nonce,
                5 => &mut s.uri,
                6 => &mut s.response,
                7 => &mut s.algorithm,
                8 => &mut s.qop,
                9 => &mut s.nc,
                10 => &mut s.cnonce,
                _ => &mut s.opaque,
            };
            *slot = Some(value);
        })
        .map_err(DigestParseError::Params)?;
        match too_long {
            Some(name) => Err(DigestParseError::TooLong(name)),
            None => Ok(s),
        }
    }
}

fn value(v: Option<ParamValue<'_>>) -> Option<Cow<'_, str>> {
    v.map(ParamValue::into_value)
}

fn required<'a>(v: Option<ParamValue<'a>>, name: &'static str) -> Result<Cow<'a, str>, DigestParseError> {
    value(v).ok_or(DigestParseError::Missing(name))
}

/// Decodes an RFC 5987 / RFC 8187 ext-value in UTF-8: `UTF-8 "'" [language] "'" pct-encoded`.
fn decode_ext_value(v: &str) -> Option<String> {
    let mut it = v.splitn(3, '\'');
    let charset = it.next()?;
    let lang = it.next()?;
    let value = it.next()?;
    if !charset.eq_ignore_ascii_case("UTF-8") || !lang.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return None;
    }
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let hi = (*bytes.get(i + 1)? as char).to_digit(16)?;
            let lo = (*bytes.get(i + 2)? as char).to_digit(16)?;
            out.push((hi * 16 + lo) as u8);
            i += 3;
        } else if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            out.push(b);
            i += 1;
        } else {
            return None;
        }
    }
    String::from_utf8(out).ok()
}

/// Reads `nc`: exactly 8 hex digits.
fn parse_nc(v: &str) -> Option<(u32, [u8; 8])> {
    let b: [u8; 8] = v.as_bytes().try_into().ok()?;
    let raw = RawDigest::from_hex(v, 8)?;
    Some((u32::from_be_bytes(raw.as_bytes().try_into().ok()?), b))
}

impl<'a> DigestCredentials<'a> {
    /// Parses a whole `Authorization` value: `Digest` (any case) and its auth-params.
    #[cfg(test)]
    pub(crate) fn parse(value: &'a [u8]) -> Result<Self, DigestParseError> {
        match split_scheme(value) {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("Digest") => Self::parse_params(rest),
            _ => Err(DigestParseError::NotDigest),
        }
    }

    /// Parses the auth-param list that follows `Digest `.
    pub(crate) fn parse_params(input: &'a [u8]) -> Result<Self, DigestParseError> {
        let p = Slots::parse(input)?;

        let userhash = match value(p.userhash).as_deref() {
            None => false,
            Some(v) if v.eq_ignore_ascii_case("true") => true,
            Some(v) if v.eq_ignore_ascii_case("false") => false,
            Some(_) => return Err(DigestParseError::BadUserhash),
        };
        let (username, username_star) = match (p.username, p.username_star) {
            (Some(_), Some(_)) => return Err(DigestParseError::UsernameAndUsernameStar),
            (Some(u), None) => (u.into_value(), false),
            (None, Some(ext)) => {
                if userhash || ext.was_quoted() {
                    return Err(DigestParseError::BadUsernameStar);
                }
                let decoded = decode_ext_value(ext.as_str()).ok_or(DigestParseError::BadUsernameStar)?;
                (Cow::Owned(decoded), true)
            }
            (None, None) => return Err(DigestParseError::Missing("username")),
        };
        let realm = required(p.realm, "realm")?;
        let nonce = required(p.nonce, "nonce")?;
        let uri = required(p.uri, "uri")?;
        let response = required(p.response, "response")?;
        let (algorithm, algorithm_sent) = match value(p.algorithm) {
            None => (Algorithm::Md5, false),
            Some(a) => (
                Algorithm::from_name(&a).ok_or(DigestParseError::UnknownAlgorithm)?,
                true,
            ),
        };
        let qop = match value(p.qop) {
            None => None,
            Some(q) => Some(Qop::parse(&q).ok_or(DigestParseError::UnknownQop)?),
        };
        let opaque = value(p.opaque);
        let (nc, cnonce) = if qop.is_some() {
            let nc = value(p.nc).ok_or(DigestParseError::Missing("nc"))?;
            let nc = parse_nc(&nc).ok_or(DigestParseError::BadNonceCount)?;
            (Some(nc), Some(required(p.cnonce, "cnonce")?))
        } else {
            // RFC 2069 form: nc and cnonce mean nothing without qop.
            (None, None)
        };
        Ok(DigestCredentials {
            username,
            username_star,
            userhash,
            realm,
            nonce,
            uri,
            response,
            algorithm,
            algorithm_sent,
            qop,
            nc,
            cnonce,
            opaque,
        })
    }

    /// The username as sent (decoded from `username*`, or the userhash when
    /// [`userhash`](Self::userhash) is true).
    pub(crate) fn username(&self) -> &str {
        &self.username
    }

    /// Whether the username came from `username*`.
    #[allow(dead_code)] // read by the parser's tests only
    pub(crate) fn is_username_star(&self) -> bool {
        self.username_star
    }

    /// Whether the client sent `userhash=true` (the username is `H(user ":" realm)`).
    pub(crate) fn userhash(&self) -> bool {
        self.userhash
    }

    /// The realm the client answered for.
    pub(crate) fn realm(&self) -> &str {
        &self.realm
    }

    /// The server nonce the client answered.
    pub(crate) fn nonce(&self) -> &str {
        &self.nonce
    }

    /// The `uri` parameter (the request-target as the client saw it).
    pub(crate) fn uri(&self) -> &str {
        &self.uri
    }

    /// The client's `response` digest.
    pub(crate) fn response(&self) -> &str {
        &self.response
    }

    /// The algorithm; `MD5` when the client sent none (RFC 7616 §3.4).
    pub(crate) fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// Whether the client sent an `algorithm` parameter.
    #[allow(dead_code)] // read by the parser's tests only
    pub(crate) fn algorithm_sent(&self) -> bool {
        self.algorithm_sent
    }

    /// The qop; `None` for an RFC 2069-style response.
    pub(crate) fn qop(&self) -> Option<Qop> {
        self.qop
    }

    /// The nonce count, when a qop was sent.
    pub(crate) fn nc(&self) -> Option<u32> {
        self.nc.map(|(n, _)| n)
    }

    /// The nonce count as the client wrote it (8 hex digits), when a qop was sent.
    pub(crate) fn nc_str(&self) -> Option<&str> {
        self.nc.as_ref().and_then(|(_, s)| std::str::from_utf8(s).ok())
    }

    /// The client nonce, when a qop was sent.
    pub(crate) fn cnonce(&self) -> Option<&str> {
        self.cnonce.as_deref()
    }

    /// The opaque value echoed by the client.
    pub(crate) fn opaque(&self) -> Option<&str> {
        self.opaque.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = r#"Digest username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", algorithm=MD5, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", nc=00000001, cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", qop=auth, response="8ca523f5e9506fed4657c9700eebdbec", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#;

    #[test]
    fn slot_names_match_case_insensitively_and_exactly() {
        // Every tchar name up to 10 bytes built from our names' letters, their case
        // variants and neighbours: slot_index agrees with eq_ignore_ascii_case.
        let mut names: Vec<String> = Vec::new();
        for n in SLOT_NAMES {
            names.push(n.to_owned());
            names.push(n.to_ascii_uppercase());
            names.push(format!("{n}x"));
            names.push(format!("{n}*"));
            names.push(n[1..].to_owned());
            for (i, c) in n.char_indices() {
                for r in ['^', '~', '_', '`', '|', '0', '\'', '.', '*'] {
                    let mut m = n.to_owned();
                    m.replace_range(i..i + c.len_utf8(), &r.to_string());
                    names.push(m);
                }
            }
        }
        for name in &names {
            let expected = SLOT_NAMES.iter().position(|n| n.eq_ignore_ascii_case(name));
            assert_eq!(slot_index(name), expected, "{name}");
        }
        assert_eq!(slot_index("UsErNaMe*"), Some(1));
        assert_eq!(slot_index(""), None);
    }

    #[test]
    fn rfc_example_parses() {
        let c = DigestCredentials::parse(OK.as_bytes()).unwrap();
        assert_eq!(c.username(), "Mufasa");
        assert_eq!(c.realm(), "http-auth@example.org");
        assert_eq!(c.uri(), "/dir/index.html");
        assert_eq!(c.nc_str(), Some("00000001"));
        assert_eq!(c.cnonce(), Some("f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"));
        assert_eq!(c.opaque(), Some("FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"));
        assert!(!format!("{c:?}").contains("8ca523f5"));
    }

    #[test]
    fn quoted_algorithm_qop_nc_accepted() {
        let v = OK
            .replace("algorithm=MD5", r#"algorithm="MD5""#)
            .replace("qop=auth", r#"qop="auth""#)
            .replace("nc=00000001", r#"nc="00000001""#);
        let c = DigestCredentials::parse(v.as_bytes()).unwrap();
        assert_eq!(
            (c.algorithm(), c.qop(), c.nc()),
            (Algorithm::Md5, Some(Qop::Auth), Some(1))
        );
        let v = OK.replace("Digest", "dIgEsT");
        let c = DigestCredentials::parse(v.as_bytes()).unwrap();
        assert_eq!(c.username(), "Mufasa");
    }

    #[test]
    fn username_star() {
        let v = OK.replace(r#"username="Mufasa""#, "username*=UTF-8''J%C3%A4s%C3%B8n%20Doe");
        let c = DigestCredentials::parse(v.as_bytes()).unwrap();
        assert_eq!(c.username(), "Jäsøn Doe");
        assert!(c.is_username_star());
        let v = OK.replace(r#"username="Mufasa""#, "username*=utf-8'de'J%C3%A4s%C3%B8n");
        assert_eq!(DigestCredentials::parse(v.as_bytes()).unwrap().username(), "Jäsøn");
        for bad in [
            "username*=ISO-8859-1''J%E4",
            "username*=UTF-8''%C3",
            "username*=UTF-8''%zz",
            "username*=x",
        ] {
            let v = OK.replace(r#"username="Mufasa""#, bad);
            assert_eq!(
                DigestCredentials::parse(v.as_bytes()),
                Err(DigestParseError::BadUsernameStar),
                "{bad}"
            );
        }
        let v = OK.replace(r#"username="Mufasa""#, r#"username="Mufasa", username*=UTF-8''M"#);
        assert_eq!(
            DigestCredentials::parse(v.as_bytes()),
            Err(DigestParseError::UsernameAndUsernameStar)
        );
        let v = OK.replace(r#"username="Mufasa""#, "username*=UTF-8''M, userhash=true");
        assert_eq!(
            DigestCredentials::parse(v.as_bytes()),
            Err(DigestParseError::BadUsernameStar)
        );
    }

    #[test]
    fn rejections() {
        let cases: &[(&str, &str, DigestParseError)] = &[
            ("nc=00000001", "nc=1", DigestParseError::BadNonceCount),
            ("nc=00000001", "nc=000000001", DigestParseError::BadNonceCount),
            ("nc=00000001", "nc=0000000g", DigestParseError::BadNonceCount),
            ("nc=00000001, ", "", DigestParseError::Missing("nc")),
            (
                r#"cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", "#,
                "",
                DigestParseError::Missing("cnonce"),
            ),
            (r#"uri="/dir/index.html", "#, "", DigestParseError::Missing("uri")),
            (
                r#"realm="http-auth@example.org", "#,
                "",
                DigestParseError::Missing("realm"),
            ),
            (r#"username="Mufasa", "#, "", DigestParseError::Missing("username")),
            ("qop=auth", "qop=auth-conf", DigestParseError::UnknownQop),
            ("algorithm=MD5", "algorithm=SHA-1", DigestParseError::UnknownAlgorithm),
            (
                "algorithm=MD5",
                "algorithm=MD5, userhash=maybe",
                DigestParseError::BadUserhash,
            ),
            ("Digest", "Basic", DigestParseError::NotDigest),
        ];
        for (from, to, want) in cases {
            let v = OK.replace(from, to);
            assert_eq!(DigestCredentials::parse(v.as_bytes()).as_ref().err(), Some(want), "{v}");
        }
        let dup = OK.replace("qop=auth", "qop=auth, QOP=auth");
        assert!(matches!(
            DigestCredentials::parse(dup.as_bytes()),
            Err(DigestParseError::Params(ParamError::Duplicate(_)))
        ));
        let huge = OK.replace("Mufasa", &"M".repeat(MAX_PARAM_LEN + 1));
        assert_eq!(
            DigestCredentials::parse(huge.as_bytes()),
            Err(DigestParseError::TooLong("username"))
        );
    }

    #[test]
    fn nc_values() {
        assert_eq!(parse_nc("00000001").map(|(n, _)| n), Some(1));
        assert_eq!(parse_nc("0000000A").map(|(n, _)| n), Some(10));
        assert_eq!(parse_nc("ffffffff").map(|(n, _)| n), Some(u32::MAX));
        assert_eq!(parse_nc("1234abCD"), Some((0x1234_abcd, *b"1234abCD")));
        for bad in [
            "+0000001",
            "-0000001",
            "0000000",
            "000000001",
            "0x000001",
            " 0000001",
            "0000000g",
        ] {
            assert_eq!(parse_nc(bad), None, "{bad}");
        }
    }

    #[test]
    fn rfc2069_form_has_no_nc() {
        let v = r#"Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/dir/index.html", response="670fd8c2df070c60b045671b8b24ff02""#;
        let c = DigestCredentials::parse(v.as_bytes()).unwrap();
        assert_eq!(
            (c.qop(), c.nc(), c.cnonce(), c.algorithm_sent()),
            (None, None, None, false)
        );
        assert_eq!(c.algorithm(), Algorithm::Md5);
    }

    #[test]
    fn hostile_inputs_never_panic() {
        let mut inputs: Vec<Vec<u8>> = vec![
            b"Digest".to_vec(),
            b"Digest ".to_vec(),
            b"Digest username=\"unbalanced".to_vec(),
            b"Digest username=\"a\\".to_vec(),
            b"Digest username=\"a\\\"".to_vec(),
            b"Digest \\".to_vec(),
            b"Digest ,,,,,,".to_vec(),
            b"Digest =,=,=".to_vec(),
            b"Digest username=\"\xff\xfe\"".to_vec(),
            b"Digest username*=UTF-8''%".to_vec(),
            b"Digest username*=UTF-8''%F".to_vec(),
            b"Digest nc=\"\"".to_vec(),
            "Digest username=\"ä\", nc=ääääääää, qop=auth".as_bytes().to_vec(),
        ];
        inputs.push(format!("Digest username=\"{}\"", "\\\"".repeat(100_000)).into_bytes());
        inputs.push(format!("Digest {}", "a=b,".repeat(10_000)).into_bytes());
        inputs.push(format!("Digest username=\"{}", "x".repeat(1 << 20)).into_bytes());
        for cut in 0..OK.len() {
            inputs.push(OK.as_bytes()[..cut].to_vec());
        }
        for i in inputs {
            let _ = DigestCredentials::parse(&i);
        }
    }
}
