//! Reading the token from each enabled place, and taking those places off a request in proxy
//! mode.

use http::header::HeaderName;
use http::request::Parts;
use http::uri::PathAndQuery;
use http::{HeaderMap, Uri};
use percent_encoding::percent_decode;

use super::{Bearer, Token, TokenSource, cookie};
use crate::failure::{AuthFailure, FailureKind};
use crate::header::{is_token68, split_scheme, trim_ows};
use crate::scheme::AuthRequest;

impl<V> Bearer<V> {
    /// Reads the token from a request: `Ok(None)` when there is none in any enabled place, a
    /// failure when the request is malformed or carries several tokens.
    pub(super) fn token(&self, request: &AuthRequest<'_>) -> Result<Option<Token>, AuthFailure> {
        let parts = request.parts();
        let max_len = request.max_header_len();
        let mut found: Option<Token> = None;
        let mut put = |t: Option<Token>| -> Result<(), AuthFailure> {
            let Some(t) = t else { return Ok(()) };
            if found.is_some() {
                return Err(AuthFailure::malformed("more than one access token in the request"));
            }
            found = Some(t);
            Ok(())
        };
        put(self.read_authorization(request)?)?;
        for name in &self.headers {
            put(read_header(&parts.headers, name, max_len)?)?;
        }
        if let Some(name) = &self.query {
            put(read_query(&parts.uri, name, max_len)?)?;
        }
        if let Some(c) = &self.cookie {
            put(read_cookie(&parts.headers, c.name(), max_len)?)?;
        }
        Ok(found)
    }

    /// `Authorization: Bearer <b64token>` (or `Proxy-Authorization` in proxy mode).
    fn read_authorization(&self, request: &AuthRequest<'_>) -> Result<Option<Token>, AuthFailure> {
        let Some(name) = &self.scheme_name else {
            return Ok(None);
        };
        let Some(value) = request.authorization()? else {
            return Ok(None);
        };
        let Some((scheme, token)) = split_scheme(value.as_bytes()) else {
            return Err(AuthFailure::malformed("unparseable Authorization header"));
        };
        if !scheme.eq_ignore_ascii_case(name) {
            return Ok(None);
        }
        if token.is_empty() {
            return Err(AuthFailure::malformed("the access token is missing"));
        }
        if !is_token68(token) {
            return Err(AuthFailure::malformed("the access token is not a b64token"));
        }
        // A token68 is ASCII.
        Ok(Some(Token::in_header(value, token, TokenSource::Authorization)))
    }

    /// Whether the request carries something in a place this scheme reads (for
    /// [`Scheme::detect`](crate::Scheme::detect)).
    pub(super) fn carries_token(&self, request: &AuthRequest<'_>) -> bool {
        let parts = request.parts();
        self.scheme_name.as_ref().is_some_and(|name| request.carries(name))
            || self.headers.iter().any(|h| parts.headers.contains_key(h))
            || self.query.as_ref().is_some_and(|name| {
                parts
                    .uri
                    .query()
                    .is_some_and(|q| q.split('&').any(|p| query_key(p) == name))
            })
            || self
                .cookie
                .as_ref()
                .is_some_and(|c| cookie::carries(&parts.headers, c.name()))
    }

    /// Removes the token headers, the token cookie (out of every `Cookie` field) and the
    /// token query parameter (out of the request-target), whether or not they hold a token.
    pub(super) fn remove_sources(&self, parts: &mut Parts) {
        for name in &self.headers {
            // The credentials field is the layer's (see `Scheme::remove_credentials`).
            if name != http::header::AUTHORIZATION {
                parts.headers.remove(name);
            }
        }
        if let Some(c) = &self.cookie {
            cookie::remove(&mut parts.headers, c.name());
        }
        if let Some(name) = &self.query {
            remove_query_param(&mut parts.uri, name);
        }
    }
}

fn too_large() -> AuthFailure {
    AuthFailure::new(FailureKind::HeaderTooLarge).with_description("access token too large")
}

/// A header whose whole value is the token.
fn read_header(headers: &HeaderMap, name: &HeaderName, max_len: usize) -> Result<Option<Token>, AuthFailure> {
    let mut values = headers.get_all(name).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(AuthFailure::malformed("the token header occurs more than once"));
    }
    if value.len() > max_len {
        return Err(too_large());
    }
    let token = trim_ows(value.as_bytes());
    visible(token)?;
    Ok(Some(Token::in_header(value, token, TokenSource::Header)))
}

/// A query parameter, percent-decoded (`+` stays `+`: it is no space outside HTML forms).
fn read_query(uri: &Uri, name: &str, max_len: usize) -> Result<Option<Token>, AuthFailure> {
    let Some(query) = uri.query() else {
        return Ok(None);
    };
    let mut values = query.split('&').filter(|p| query_key(p) == name);
    let Some(pair) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(AuthFailure::malformed(
            "the access token parameter occurs more than once",
        ));
    }
    let raw = pair.split_once('=').map_or("", |(_, v)| v);
    if raw.len() > max_len {
        return Err(too_large());
    }
    // `percent_decode` passes a `%` that starts no escape through as it is; such a `%` makes
    // the request malformed instead, so that a mistyped escape is not read as another token.
    if !well_escaped(raw.as_bytes()) {
        return Err(AuthFailure::malformed("bad percent-encoding"));
    }
    let decoded: Vec<u8> = percent_decode(raw.as_bytes()).collect();
    let token = visible(&decoded)?;
    Ok(Some(Token::new(token, TokenSource::Query)))
}

/// Whether every `%` in `s` starts an escape: `%` and two hex digits.
fn well_escaped(s: &[u8]) -> bool {
    s.iter().enumerate().all(|(i, &b)| {
        b != b'%'
            || (s.get(i + 1).is_some_and(u8::is_ascii_hexdigit) && s.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
    })
}

/// The token cookie. The `Cookie` field itself may be long (a site's other cookies); only
/// the token's value is bounded.
fn read_cookie(headers: &HeaderMap, name: &str, max_len: usize) -> Result<Option<Token>, AuthFailure> {
    let mut values = cookie::values(headers, name, 2).into_iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    // Two cookies of that name (in one field or two) are two tokens: a sibling subdomain can
    // set a second `sid` for the parent domain ("cookie tossing"), and which one the browser
    // lists first is not ours to trust.
    if values.next().is_some() {
        return Err(AuthFailure::malformed("the token cookie occurs more than once"));
    }
    if value.len() > max_len {
        return Err(too_large());
    }
    visible(value.as_bytes())?;
    Ok(Some(Token::new(value, TokenSource::Cookie)))
}

/// A token from a place other than the credentials field: non-empty visible ASCII.
fn visible(token: &[u8]) -> Result<&str, AuthFailure> {
    if token.is_empty() {
        return Err(AuthFailure::malformed("the access token is empty"));
    }
    if !token.iter().all(|&b| (0x21..0x7F).contains(&b)) {
        return Err(AuthFailure::malformed(
            "the access token holds characters a token cannot hold",
        ));
    }
    std::str::from_utf8(token).map_err(|_| AuthFailure::malformed("the access token is not ASCII"))
}

/// The name of one `name=value` element of a query string, as sent (not decoded).
fn query_key(pair: &str) -> &str {
    pair.split_once('=').map_or(pair, |(k, _)| k)
}

/// Takes every `name` parameter out of the query of `uri`; the rest of the request-target
/// (scheme, authority, path, the other parameters and their order, empty ones included)
/// stays byte for byte, and the `?` goes when no parameter is left.
fn remove_query_param(uri: &mut Uri, name: &str) {
    let Some((path, query)) = uri.path_and_query().and_then(|pq| pq.as_str().split_once('?')) else {
        return;
    };
    if !query.split('&').any(|p| query_key(p) == name) {
        return;
    }
    let mut target = path.to_owned();
    for (i, pair) in query.split('&').filter(|p| query_key(p) != name).enumerate() {
        target.push(if i == 0 { '?' } else { '&' });
        target.push_str(pair);
    }
    if target.is_empty() {
        // `http://h?t=x`: an empty path means `/` (RFC 9110 §4.2.3), and `http` wants one.
        target.push('/');
    }
    let rebuilt = PathAndQuery::try_from(target).ok().and_then(|pq| {
        let mut parts = uri.clone().into_parts();
        parts.path_and_query = Some(pq);
        Uri::from_parts(parts).ok()
    });
    // Pieces of a valid target make a valid target; should that ever fail, the whole
    // target goes rather than the token with it.
    *uri = rebuilt.unwrap_or_else(|| Uri::from_static("/"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_param_removal_keeps_the_rest_of_the_target_byte_for_byte() {
        let cases = [
            ("/p?a=1&t=x&b=%20c&&d", "/p?a=1&b=%20c&&d"),
            ("/p?t=x", "/p"),
            ("/p?t", "/p"),
            ("/p?t=x&t=y&z", "/p?z"),
            ("/p?tt=x&t2=y&a=t", "/p?tt=x&t2=y&a=t"),
            ("/p?", "/p?"),
            ("/p", "/p"),
            ("/p?t=x&", "/p?"),
            ("http://h.example:8080/a/b?t=x&q=%2F", "http://h.example:8080/a/b?q=%2F"),
            // `http::Uri` writes an empty path as `/`, with or without our removal.
            ("http://h.example?t=x&q=1", "http://h.example/?q=1"),
            ("http://h.example?t=x", "http://h.example/"),
            ("*", "*"),
        ];
        for (from, to) in cases {
            let mut uri: http::Uri = from.parse().unwrap();
            remove_query_param(&mut uri, "t");
            assert_eq!(uri.to_string(), to, "{from}");
        }
        let mut uri: http::Uri = "h.example:443".parse().unwrap();
        remove_query_param(&mut uri, "t");
        assert_eq!(uri.to_string(), "h.example:443");
    }

    #[test]
    fn query_values_are_percent_decoded_strictly() {
        let read = |uri: &str| read_query(&uri.parse().unwrap(), "t", 4096).map(|t| t.map(Token::into_string));
        assert_eq!(read("/p?x=1&t=a%2Bb%3D&y").unwrap().as_deref(), Some("a+b="));
        assert_eq!(read("/p?t=a+b").unwrap().as_deref(), Some("a+b"));
        assert_eq!(read("/p?x=1").unwrap(), None);
        for bad in [
            "/p?t=%zz",
            "/p?t=%2",
            "/p?t=a%",
            "/p?t=a&t=b",
            "/p?t=",
            "/p?t",
            "/p?t=%20",
            "/p?t=%C3%A4",
        ] {
            assert_eq!(read(bad).unwrap_err().kind(), FailureKind::Malformed, "{bad}");
        }
    }
}
