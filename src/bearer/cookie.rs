//! [`TokenCookie`]: a token in a cookie, for browser sessions; reading the `Cookie` field and
//! building `Set-Cookie` values, both with the [`cookie`] crate.

use std::borrow::Cow;
use std::time::Duration;

use ::cookie::Cookie;
use http::HeaderMap;
use http::HeaderValue;
use http::header::{COOKIE, Entry};

use crate::header::is_token;

/// The `SameSite` attribute of a [`TokenCookie`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SameSite {
    /// Sent only on same-site requests.
    Strict,
    /// Sent on same-site requests and top-level navigations (the default).
    Lax,
    /// Sent on every request (requires `Secure`).
    None,
}

/// A cookie carrying a token, for browser sessions ([`Bearer::cookie`](super::Bearer::cookie)).
///
/// It builds the `Set-Cookie` values for login ([`set`](Self::set)) and logout
/// ([`clear`](Self::clear)): `HttpOnly` always (scripts cannot read the token), `Secure` and
/// `SameSite=Lax` by default, `Path=/`.
///
/// ```
/// use std::time::Duration;
/// use tower_httpauth::bearer::TokenCookie;
///
/// let cookie = TokenCookie::new("session");
/// let set = cookie.set("abc.def", Duration::from_secs(3600)).unwrap();
/// assert_eq!(set, "session=abc.def; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=3600");
/// assert_eq!(cookie.clear(), "session=; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=0");
/// ```
#[derive(Debug, Clone)]
pub struct TokenCookie {
    name: String,
    path: String,
    domain: Option<String>,
    secure: bool,
    same_site: SameSite,
}

impl TokenCookie {
    /// A cookie named `name`.
    ///
    /// # Panics
    ///
    /// If `name` is not an RFC 9110 token.
    pub fn new(name: impl Into<String>) -> Self {
        let name = name.into();
        assert!(is_token(name.as_bytes()), "cookie name must be a token");
        TokenCookie {
            name,
            path: "/".into(),
            domain: None,
            secure: true,
            same_site: SameSite::Lax,
        }
    }

    /// The `Path` attribute (default `/`).
    ///
    /// # Panics
    ///
    /// If `path` contains `;` or a character that cannot appear in a header.
    pub fn path(mut self, path: impl Into<String>) -> Self {
        let path = path.into();
        assert!(is_attr_value(&path), "invalid cookie path");
        self.path = path;
        self
    }

    /// The `Domain` attribute (none by default: host-only).
    ///
    /// # Panics
    ///
    /// If `domain` contains `;` or a character that cannot appear in a header.
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        let domain = domain.into();
        assert!(is_attr_value(&domain), "invalid cookie domain");
        self.domain = Some(domain);
        self
    }

    /// Whether to send the `Secure` attribute (default `true`; turn it off only for local
    /// development over plain HTTP).
    pub fn secure(mut self, secure: bool) -> Self {
        self.secure = secure;
        self
    }

    /// The `SameSite` attribute (default [`SameSite::Lax`]).
    pub fn same_site(mut self, same_site: SameSite) -> Self {
        self.same_site = same_site;
        self
    }

    /// The cookie's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn build(&self, value: &str, max_age: Duration) -> Option<HeaderValue> {
        let max_age = i64::try_from(max_age.as_secs()).unwrap_or(i64::MAX);
        let mut c = Cookie::build((self.name.as_str(), value))
            .path(self.path.as_str())
            .max_age(::cookie::time::Duration::seconds(max_age))
            .http_only(true)
            .secure(self.secure)
            .same_site(match self.same_site {
                SameSite::Strict => ::cookie::SameSite::Strict,
                SameSite::Lax => ::cookie::SameSite::Lax,
                SameSite::None => ::cookie::SameSite::None,
            });
        if let Some(d) = &self.domain {
            c = c.domain(d.as_str());
        }
        HeaderValue::try_from(c.build().to_string()).ok()
    }

    /// The `Set-Cookie` value that stores `token` for `max_age` (on login). `None` if the
    /// token holds characters a cookie value cannot carry (RFC 6265 `cookie-octet`).
    pub fn set(&self, token: &str, max_age: Duration) -> Option<HeaderValue> {
        if token.is_empty() || !token.bytes().all(is_cookie_octet) {
            return None;
        }
        self.build(token, max_age)
    }

    /// The `Set-Cookie` value that removes the cookie (on logout).
    pub fn clear(&self) -> HeaderValue {
        self.build("", Duration::ZERO).expect("validated cookie attributes")
    }
}

fn is_attr_value(s: &str) -> bool {
    s.bytes().all(|b| (0x20..0x7F).contains(&b) && b != b';')
}

/// RFC 6265 cookie-octet.
fn is_cookie_octet(b: u8) -> bool {
    matches!(b, 0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E)
}

/// A `Cookie` field as text. Its bytes are visible ASCII in practice; anything else (which
/// no cookie of ours can hold) reads as U+FFFD and never matches a cookie name.
fn field_text(field: &HeaderValue) -> Cow<'_, str> {
    String::from_utf8_lossy(field.as_bytes())
}

/// The pieces of a `Cookie` field: each raw `name=value` piece, trimmed, and the cookie it
/// parses as (`None` for a piece that is no cookie, such as one without `=`). It splits at
/// `;` and skips blank pieces exactly as [`Cookie::split_parse`] does, and keeps the raw
/// piece besides, so that reading, detecting and removing the token cookie all see the same
/// cookies.
fn pieces(field: &str) -> impl Iterator<Item = (&str, Option<Cookie<'_>>)> {
    field
        .split(';')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| (p, Cookie::parse(p).ok()))
}

/// The values of every cookie `name` in the `Cookie` fields, quotes removed
/// ([`Cookie::value_trimmed`]), in order; at most `limit` of them are collected (the caller
/// refuses more than one).
pub(super) fn values(headers: &HeaderMap, name: &str, limit: usize) -> Vec<String> {
    let mut found = Vec::new();
    for field in headers.get_all(COOKIE) {
        let text = field_text(field);
        for (_, c) in pieces(&text) {
            if let Some(c) = c
                && c.name() == name
            {
                found.push(c.value_trimmed().to_owned());
                if found.len() >= limit {
                    return found;
                }
            }
        }
    }
    found
}

/// Whether a `Cookie` field holds cookie `name` with a value (an empty one, what a browser
/// keeps of a cleared cookie at most, does not count as presenting a token).
pub(super) fn carries(headers: &HeaderMap, name: &str) -> bool {
    headers.get_all(COOKIE).iter().any(|field| {
        pieces(&field_text(field)).any(|(_, c)| c.is_some_and(|c| c.name() == name && !c.value().is_empty()))
    })
}

/// Takes every cookie `name` out of the `Cookie` fields: a field holding one is rebuilt from
/// its other pieces (joined by `; `), or dropped when none remain; the other fields stay as
/// they were, in their order.
pub(super) fn remove(headers: &mut HeaderMap, name: &str) {
    let holds = |v: &HeaderValue| pieces(&field_text(v)).any(|(_, c)| c.is_some_and(|c| c.name() == name));
    if !headers.get_all(COOKIE).iter().any(holds) {
        return;
    }
    let fields: Vec<HeaderValue> = match headers.entry(COOKIE) {
        Entry::Occupied(e) => e.remove_entry_mult().1.collect(),
        Entry::Vacant(_) => return,
    };
    for field in fields {
        if !holds(&field) {
            headers.append(COOKIE, field);
            continue;
        }
        let text = field_text(&field);
        let others: Vec<&str> = pieces(&text)
            .filter(|(_, c)| c.as_ref().is_none_or(|c| c.name() != name))
            .map(|(p, _)| p)
            .collect();
        if others.is_empty() {
            continue;
        }
        // Pieces of a valid field joined by "; " make a valid field; should that ever fail,
        // the field is dropped rather than forwarded with the token.
        if let Ok(v) = HeaderValue::try_from(others.join("; ")) {
            headers.append(COOKIE, v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(fields: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for f in fields {
            h.append(COOKIE, HeaderValue::from_str(f).unwrap());
        }
        h
    }

    #[test]
    fn cookie_removal_rebuilds_or_drops_each_field() {
        let run = |fields: &[&str]| -> Vec<String> {
            let mut h = headers(fields);
            h.insert("x-other", HeaderValue::from_static("1"));
            remove(&mut h, "sid");
            assert_eq!(h["x-other"], "1");
            h.get_all(COOKIE)
                .iter()
                .map(|v| v.to_str().unwrap().to_owned())
                .collect()
        };
        assert_eq!(run(&["a=1; sid=x;b=2"]), ["a=1; b=2"]);
        assert_eq!(run(&["sid=x"]), Vec::<String>::new());
        assert_eq!(run(&["sid=x", "a=1;  sid=\"y\" ", "b=2"]), ["a=1", "b=2"]);
        // Fields without the cookie stay byte for byte, in order; look-alikes stay.
        assert_eq!(
            run(&["a=1;b=2", "sid=x; sids=1; xsid=2; sid"]),
            ["a=1;b=2", "sids=1; xsid=2; sid"]
        );
        assert_eq!(run(&["sid="]), Vec::<String>::new());
        assert_eq!(run(&[]), Vec::<String>::new());
    }

    #[test]
    fn reading_detecting_and_removing_see_the_same_cookies() {
        for field in ["sid=x", " sid = x ", "a=1;sid=\"x\"", "a=1; ;sid=x;", "sid=x; sid=y"] {
            let h = headers(&[field]);
            assert!(!values(&h, "sid", 2).is_empty(), "{field}");
            assert!(carries(&h, "sid"), "{field}");
            let mut h = h;
            remove(&mut h, "sid");
            assert!(values(&h, "sid", 2).is_empty(), "{field}");
        }
        for field in ["sids=x", "xsid=x", "sid", "a=sid", "=sid"] {
            let h = headers(&[field]);
            assert!(values(&h, "sid", 2).is_empty(), "{field}");
            assert!(!carries(&h, "sid"), "{field}");
        }
        assert_eq!(values(&headers(&["a=b; sid=\"tok.1\"; c=d"]), "sid", 2), ["tok.1"]);
    }
}
