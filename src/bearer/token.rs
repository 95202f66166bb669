//! [`Token`]: a token as a client presented it, and [`TokenSource`]: where it was found.

use std::fmt;

use http::HeaderValue;

/// Where a [`Token`] was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenSource {
    /// `Authorization: Bearer <token>` (or the configured scheme name).
    Authorization,
    /// A custom header whose whole value is the token.
    Header,
    /// A query parameter.
    Query,
    /// A cookie.
    Cookie,
}

/// A token presented by a client: what a [`Bearer`](super::Bearer) verifier receives.
/// `Debug` shows where it came from and its length, never its value; `==` compares in
/// constant time.
///
/// ```
/// use tower_httpauth::bearer::{Token, TokenSource};
/// use tower_httpauth::constant_time_eq;
///
/// let token = Token::new("mF_9.B5f-4.1JqM", TokenSource::Authorization);
/// assert!(constant_time_eq(token.as_bytes(), b"mF_9.B5f-4.1JqM"));
/// assert!(!format!("{token:?}").contains("mF_9"));
/// ```
#[derive(Clone)]
pub struct Token {
    repr: Repr,
    source: TokenSource,
}

#[derive(Clone)]
enum Repr {
    /// `value[start..end]`, checked to be ASCII when the token was read: a token from a
    /// header shares the header's bytes instead of copying them.
    Header {
        value: HeaderValue,
        start: usize,
        end: usize,
    },
    Owned(String),
}

impl Token {
    /// A token with the given value and source (for tests and custom verifiers).
    pub fn new(value: impl Into<String>, source: TokenSource) -> Self {
        Token {
            repr: Repr::Owned(value.into()),
            source,
        }
    }

    /// `sub`, a slice of `value` that the caller has checked to be ASCII.
    pub(super) fn in_header(value: &HeaderValue, sub: &[u8], source: TokenSource) -> Self {
        let start = (sub.as_ptr() as usize).saturating_sub(value.as_bytes().as_ptr() as usize);
        let end = start + sub.len();
        debug_assert_eq!(value.as_bytes().get(start..end), Some(sub));
        Token {
            repr: Repr::Header {
                value: value.clone(),
                start,
                end,
            },
            source,
        }
    }

    /// The token.
    pub fn as_str(&self) -> &str {
        match &self.repr {
            Repr::Header { value, start, end } => value
                .as_bytes()
                .get(*start..*end)
                .and_then(|b| std::str::from_utf8(b).ok())
                .unwrap_or_default(),
            Repr::Owned(s) => s,
        }
    }

    /// The token's bytes (for [`constant_time_eq`](crate::constant_time_eq)).
    pub fn as_bytes(&self) -> &[u8] {
        self.as_str().as_bytes()
    }

    /// Where the token was found.
    pub fn source(&self) -> TokenSource {
        self.source
    }

    /// The token as an owned string.
    pub fn into_string(self) -> String {
        match self.repr {
            Repr::Owned(s) => s,
            Repr::Header { .. } => self.as_str().to_owned(),
        }
    }
}

impl PartialEq for Token {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source && crate::constant_time_eq(self.as_bytes(), other.as_bytes())
    }
}

impl Eq for Token {}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("source", &self.source)
            .field("len", &self.as_str().len())
            .field("value", &"<redacted>")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts() {
        let t = Token::new("s3cr3t-token", TokenSource::Header);
        let d = format!("{t:?}");
        assert!(!d.contains("s3cr3t"), "{d}");
        assert!(d.contains("redacted"));
    }

    #[test]
    fn a_token_in_a_header_reads_its_slice() {
        let value = HeaderValue::from_static("Bearer abc.def");
        let t = Token::in_header(&value, &value.as_bytes()[7..], TokenSource::Authorization);
        assert_eq!(t.as_str(), "abc.def");
        assert_eq!(t.clone().into_string(), "abc.def");
        assert_eq!(t, Token::new("abc.def", TokenSource::Authorization));
        assert_ne!(t, Token::new("abc.def", TokenSource::Header));
    }
}
