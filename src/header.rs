//! The one parser and writer for the HTTP authentication grammar (RFC 9110 §11).
//!
//! Every scheme in this crate reads its credentials and writes its challenges through this
//! module, so quoting, escaping and list handling are implemented exactly once:
//!
//! - [`split_scheme`] separates `auth-scheme 1*SP rest`, with the scheme name matched
//!   case-insensitively by the caller;
//! - [`AuthParams::parse`] reads a comma-separated `auth-param` list (Digest), with bad
//!   whitespace, empty list elements, `token` and `quoted-string` values, quoted-pairs and
//!   case-insensitive names, and rejects duplicated names;
//! - [`Challenge`] writes one `WWW-Authenticate` challenge, quoting and escaping values.
//!
//! ```
//! use tower_httpauth::header::{AuthParams, Challenge};
//!
//! let params = AuthParams::parse(br#"username = "we\"ird", , nc=00000001,"#).unwrap();
//! assert_eq!(params.get("USERNAME"), Some("we\"ird"));
//! assert_eq!(params.get("nc"), Some("00000001"));
//!
//! let value = Challenge::new("Digest")
//!     .quoted("realm", "api \"v2\"")
//!     .token("algorithm", "SHA-256")
//!     .to_header_value()
//!     .unwrap();
//! assert_eq!(value, r#"Digest realm="api \"v2\"", algorithm=SHA-256"#);
//! ```

use std::borrow::Cow;
use std::fmt;

use http::HeaderValue;

/// The default bound on the length of a credentials field (`Authorization`,
/// `Proxy-Authorization`), in bytes: far above any real credential, far below what would
/// let a client make the server work hard.
pub(crate) const DEFAULT_MAX_LEN: usize = 4096;

/// The most parameters [`AuthParams::parse`] accepts in one list.
///
/// Digest credentials carry at most a dozen; anything far beyond is hostile.
pub(crate) const MAX_PARAMS: usize = 32;

const TCHAR: u8 = 1;
const TOKEN68: u8 = 2;
const QDTEXT: u8 = 4;

/// Character classes, one byte of flags per octet.
static CLASSES: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0usize;
    while i < 256 {
        let c = i as u8;
        let mut f = 0u8;
        // tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
        if c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~'
            )
        {
            f |= TCHAR;
        }
        // token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
        if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~' | b'+' | b'/') {
            f |= TOKEN68;
        }
        // qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
        if c == b'\t' || c == b' ' || c == 0x21 || (c >= 0x23 && c <= 0x5B) || (c >= 0x5D && c <= 0x7E) || c >= 0x80 {
            f |= QDTEXT;
        }
        t[i] = f;
        i += 1;
    }
    t
};

#[inline]
fn is_tchar(b: u8) -> bool {
    CLASSES[b as usize] & TCHAR != 0
}

/// Whether `b` may follow a backslash in a quoted-pair: HTAB / SP / VCHAR / obs-text.
#[inline]
fn is_quoted_pair_char(b: u8) -> bool {
    b == b'\t' || b == b' ' || (0x21..=0x7E).contains(&b) || b >= 0x80
}

/// Whether `s` is a non-empty `token` (RFC 9110 §5.6.2).
pub(crate) fn is_token(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|&b| is_tchar(b))
}

/// Whether `s` is a `token68` (RFC 9110 §11.2): `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" /
/// "+" / "/" ) *"="`.
///
/// ```
/// use tower_httpauth::header::is_token68;
/// assert!(is_token68(b"QWxhZGRpbjpvcGVuIHNlc2FtZQ=="));
/// assert!(is_token68(b"mF_9.B5f-4.1JqM"));
/// assert!(!is_token68(b"=abc"));
/// assert!(!is_token68(b"a b"));
/// ```
pub fn is_token68(s: &[u8]) -> bool {
    let body = s.iter().position(|&b| b == b'=').unwrap_or(s.len());
    body > 0 && s[..body].iter().all(|&b| CLASSES[b as usize] & TOKEN68 != 0) && s[body..].iter().all(|&b| b == b'=')
}

/// Splits an `Authorization` value into its scheme name and the rest.
///
/// The scheme must be a `token` followed by one or more spaces (or nothing at all). Returns
/// `None` when the value does not start with a token. The rest has its leading and trailing
/// spaces and tabs removed.
///
/// ```
/// use tower_httpauth::header::split_scheme;
/// assert_eq!(split_scheme(b"Basic   abc="), Some(("Basic", &b"abc="[..])));
/// assert_eq!(split_scheme(b"Negotiate"), Some(("Negotiate", &b""[..])));
/// assert_eq!(split_scheme(b" Basic abc"), None);
/// ```
pub fn split_scheme(value: &[u8]) -> Option<(&str, &[u8])> {
    let end = value.iter().position(|&b| !is_tchar(b)).unwrap_or(value.len());
    if end == 0 {
        return None;
    }
    let rest = &value[end..];
    if !rest.is_empty() && rest[0] != b' ' {
        return None;
    }
    // The scheme is all tchar, hence ASCII, hence UTF-8.
    let scheme = std::str::from_utf8(&value[..end]).ok()?;
    Some((scheme, trim_ows(rest)))
}

/// Several fields of a name that must appear at most once.
#[derive(Debug)]
pub(crate) struct Several;

/// The one field named `name` in `headers`, if any; [`Several`] when it repeats.
#[inline]
pub(crate) fn single<'a>(
    headers: &'a http::HeaderMap,
    name: &http::HeaderName,
) -> Result<Option<&'a http::HeaderValue>, Several> {
    // When no name of the map repeats (almost always), one lookup says it all.
    if headers.len() == headers.keys_len() {
        return Ok(headers.get(name));
    }
    let mut values = headers.get_all(name).iter();
    let first = values.next();
    if values.next().is_some() {
        return Err(Several);
    }
    Ok(first)
}

/// Whether `value` starts with the scheme `name` (a token), followed by a space or nothing.
#[inline]
pub(crate) fn starts_with_scheme(value: &[u8], name: &str) -> bool {
    let n = name.len();
    n > 0
        && value.len() >= n
        && value[..n].eq_ignore_ascii_case(name.as_bytes())
        && value.get(n).is_none_or(|&b| b == b' ')
}

pub(crate) fn trim_ows(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// Why an auth-param list could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParamError {
    /// The list does not follow the grammar; the byte offset where reading stopped.
    Syntax(usize),
    /// A parameter name occurs more than once (names compare case-insensitively).
    Duplicate(String),
    /// More than 32 parameters.
    TooMany,
    /// A value is not valid UTF-8.
    NotUtf8,
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamError::Syntax(at) => write!(f, "malformed auth-param list at byte {at}"),
            ParamError::Duplicate(name) => write!(f, "auth-param `{name}` occurs more than once"),
            ParamError::TooMany => write!(f, "more than {MAX_PARAMS} auth-params"),
            ParamError::NotUtf8 => f.write_str("auth-param value is not UTF-8"),
        }
    }
}

impl std::error::Error for ParamError {}

/// One parsed parameter value, remembering whether it was quoted.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct ParamValue<'a> {
    value: Cow<'a, str>,
    quoted: bool,
}

impl<'a> ParamValue<'a> {
    /// The value with quotes and quoted-pair backslashes removed (`unq()` in RFC 7616).
    pub(crate) fn as_str(&self) -> &str {
        &self.value
    }

    /// Whether the value was sent as a quoted-string.
    pub(crate) fn was_quoted(&self) -> bool {
        self.quoted
    }

    /// The unquoted value, borrowed from the input when it held no quoted-pair.
    pub(crate) fn into_value(self) -> Cow<'a, str> {
        self.value
    }
}

impl fmt::Debug for ParamValue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Values may be secrets (a Digest response); print only their shape.
        write!(
            f,
            "<{} bytes{}>",
            self.value.len(),
            if self.quoted { ", quoted" } else { "" }
        )
    }
}

/// A parsed, comma-separated `auth-param` list (RFC 9110 §11.2).
///
/// Names are looked up case-insensitively; values are unquoted. Parsing borrows from the
/// input and allocates only for values containing quoted-pairs.
#[derive(Clone, Default)]
pub struct AuthParams<'a> {
    params: Vec<(&'a str, ParamValue<'a>)>,
}

impl fmt::Debug for AuthParams<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.params.iter().map(|(k, v)| (k, v))).finish()
    }
}

impl<'a> AuthParams<'a> {
    /// Parses `input` as `#auth-param`.
    ///
    /// Accepts bad whitespace around `=`, empty list elements and trailing commas, `token`
    /// and `quoted-string` values and obs-text (raw UTF-8) inside quoted strings. Rejects
    /// duplicated names, unbalanced quotes, stray characters, non-UTF-8 values and more
    /// than 32 parameters.
    pub fn parse(input: &'a [u8]) -> Result<Self, ParamError> {
        let mut params: Vec<(&'a str, ParamValue<'a>)> = Vec::with_capacity(12);
        parse_each(input, |name, value| params.push((name, value)))?;
        Ok(AuthParams { params })
    }

    /// The unquoted value of parameter `name` (case-insensitive), if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.get_value(name).map(ParamValue::as_str)
    }

    /// The value of parameter `name` (case-insensitive) with its quoting information.
    pub(crate) fn get_value(&self, name: &str) -> Option<&ParamValue<'a>> {
        self.params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// The parameters in the order they were sent: names as sent, values unquoted.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.params.iter().map(|(k, v)| (*k, v.as_str()))
    }

    /// Whether parameter `name` (case-insensitive) was sent as a quoted-string; `None` if it
    /// was not sent. (RFC 9110 §11.2 gives both forms one meaning, but RFC 7616 tells
    /// senders which to use.)
    pub fn was_quoted(&self, name: &str) -> Option<bool> {
        self.get_value(name).map(ParamValue::was_quoted)
    }

    /// How many parameters were sent.
    pub fn len(&self) -> usize {
        self.params.len()
    }

    /// Whether the list was empty.
    pub fn is_empty(&self) -> bool {
        self.params.is_empty()
    }
}

/// The index of the first byte at or after `i` that is not in `class`, or `input.len()`.
#[inline]
fn skip_class(input: &[u8], i: usize, class: u8) -> usize {
    input
        .get(i..)
        .and_then(|rest| rest.iter().position(|&b| CLASSES[b as usize] & class == 0))
        .map_or(input.len(), |p| i + p)
}

/// Whether some byte of `chunk` ends the fast part of a quoted-string scan: a control
/// character (HTAB included, though it is qdtext), `"`, `\\` or DEL. Written as four
/// separate reductions, which the compiler turns into a handful of 16-byte vector
/// instructions.
#[inline]
fn any_qdtext_stop(chunk: &[u8; 16]) -> bool {
    let (mut ctl, mut quote, mut backslash, mut del) = (0u8, 0u8, 0u8, 0u8);
    for &b in chunk {
        ctl |= u8::from(b < 0x20);
        quote |= u8::from(b == b'"');
        backslash |= u8::from(b == b'\\');
        del |= u8::from(b == 0x7F);
    }
    (ctl | quote | backslash | del) != 0
}

/// The index of the first byte at or after `i` that is not `qdtext`, or `input.len()`:
/// sixteen bytes at a time while none of them is a control character, `"`, `\\` or DEL,
/// then the first such byte located eight bytes at a time, then byte by byte from there
/// (HTAB, which is qdtext, also ends the fast parts).
#[inline]
fn skip_qdtext(input: &[u8], mut i: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    while let Some(chunk) = input.get(i..i + 16) {
        let Ok(chunk) = <&[u8; 16]>::try_from(chunk) else { break };
        if any_qdtext_stop(chunk) {
            break;
        }
        i += 16;
    }
    // The high bit of each byte of `v` below `n` (n <= 0x80), or zero. A borrow may also
    // mark bytes above a marked one, never below it: the lowest mark is exact.
    let below = |v: u64, n: u8| v.wrapping_sub(ONES * n as u64) & !v & HIGH;
    let equal = |v: u64, b: u8| below(v ^ (ONES * b as u64), 1);
    while let Some(chunk) = input.get(i..i + 8) {
        let Ok(bytes) = <[u8; 8]>::try_from(chunk) else { break };
        let v = u64::from_le_bytes(bytes);
        let marks = below(v, 0x20) | equal(v, b'"') | equal(v, b'\\') | equal(v, 0x7F);
        if marks != 0 {
            i += (marks.trailing_zeros() / 8) as usize;
            break;
        }
        i += 8;
    }
    skip_class(input, i, QDTEXT)
}

/// The index of the first byte at or after `i` that is not a space or a tab.
#[inline]
fn skip_ws(input: &[u8], mut i: usize) -> usize {
    while let Some(b' ' | b'\t') = input.get(i) {
        i += 1;
    }
    i
}

/// `input[start..end]` as text: sliced from `text` (the whole input, when it is valid
/// UTF-8: `start` and `end` sit next to ASCII delimiters, hence on char boundaries), else
/// validated on its own.
#[inline]
fn text_of<'a>(input: &'a [u8], text: Option<&'a str>, start: usize, end: usize) -> Option<&'a str> {
    match text {
        Some(t) => t.get(start..end),
        None => std::str::from_utf8(&input[start..end]).ok(),
    }
}

/// Reads `input` as `#auth-param`, handing each parameter to `each` in order: the grammar,
/// the duplicate check and the [`MAX_PARAMS`] bound of [`AuthParams::parse`], without
/// collecting. Parameters already handed over when an error is found are not taken back.
pub(crate) fn parse_each<'a>(
    input: &'a [u8],
    mut each: impl FnMut(&'a str, ParamValue<'a>),
) -> Result<usize, ParamError> {
    // One validation of the whole list (it is almost always ASCII) instead of one per value.
    let text = std::str::from_utf8(input).ok();
    let mut names: [&'a str; MAX_PARAMS] = [""; MAX_PARAMS];
    let mut count = 0usize;
    let mut seen = 0u64;
    let n = input.len();
    let mut i = 0usize;
    loop {
        // Skip OWS and empty list elements.
        while let Some(b' ' | b'\t' | b',') = input.get(i) {
            i += 1;
        }
        if i >= n {
            break;
        }
        let start = i;
        i = skip_class(input, i, TCHAR);
        if i == start {
            return Err(ParamError::Syntax(i));
        }
        // tchar is ASCII, so this cannot fail.
        let name = text_of(input, text, start, i).ok_or(ParamError::Syntax(start))?;
        i = skip_ws(input, i);
        if input.get(i) != Some(&b'=') {
            return Err(ParamError::Syntax(i));
        }
        i = skip_ws(input, i + 1);
        let value = if input.get(i) == Some(&b'"') {
            let (value, next) = parse_quoted(input, text, i)?;
            i = next;
            ParamValue { value, quoted: true }
        } else {
            let vstart = i;
            i = skip_class(input, i, TCHAR);
            if i == vstart {
                return Err(ParamError::Syntax(i));
            }
            let s = text_of(input, text, vstart, i).ok_or(ParamError::NotUtf8)?;
            ParamValue {
                value: Cow::Borrowed(s),
                quoted: false,
            }
        };
        i = skip_ws(input, i);
        if i < n && input[i] != b',' {
            return Err(ParamError::Syntax(i));
        }
        // Names equal but for case share their length and folded first byte, hence their
        // bit here: the full comparison runs only when the bit was seen before.
        let bit = 1u64 << ((name.len() * 7 + usize::from(name.as_bytes()[0] | 0x20)) & 63);
        if seen & bit != 0 && names[..count].iter().any(|k| k.eq_ignore_ascii_case(name)) {
            return Err(ParamError::Duplicate(name.to_ascii_lowercase()));
        }
        seen |= bit;
        if count == MAX_PARAMS {
            return Err(ParamError::TooMany);
        }
        names[count] = name;
        count += 1;
        each(name, value);
    }
    Ok(count)
}

/// Reads a quoted-string starting at `input[start] == b'"'`; returns the unescaped value
/// and the index just past the closing quote.
fn parse_quoted<'a>(input: &'a [u8], text: Option<&'a str>, start: usize) -> Result<(Cow<'a, str>, usize), ParamError> {
    let n = input.len();
    let mut i = start + 1;
    let mut owned: Option<Vec<u8>> = None;
    let mut seg = i;
    loop {
        // qdtext excludes `"` and `\\`, so this stops at either, or at a byte that is neither.
        i = skip_qdtext(input, i);
        if i >= n {
            return Err(ParamError::Syntax(i));
        }
        match input[i] {
            b'"' => {
                let bytes = match owned {
                    Some(mut v) => {
                        v.extend_from_slice(&input[seg..i]);
                        Cow::Owned(String::from_utf8(v).map_err(|_| ParamError::NotUtf8)?)
                    }
                    None => Cow::Borrowed(text_of(input, text, seg, i).ok_or(ParamError::NotUtf8)?),
                };
                return Ok((bytes, i + 1));
            }
            b'\\' => {
                if i + 1 >= n || !is_quoted_pair_char(input[i + 1]) {
                    return Err(ParamError::Syntax(i));
                }
                let v = owned.get_or_insert_with(Vec::new);
                v.extend_from_slice(&input[seg..i]);
                v.push(input[i + 1]);
                i += 2;
                seg = i;
            }
            _ => return Err(ParamError::Syntax(i)),
        }
    }
}

/// Why a value cannot be written into a challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub(crate) enum WriteError {
    /// A quoted value holds a control character other than HTAB.
    ControlCharacter,
    /// A name or token value is not a `token`.
    NotAToken,
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WriteError::ControlCharacter => f.write_str("value contains a control character"),
            WriteError::NotAToken => f.write_str("value is not an RFC 9110 token"),
        }
    }
}

impl std::error::Error for WriteError {}

/// Appends `value` to `out` as a quoted-string, escaping `"` and `\` (`a "b"` becomes
/// `"a \"b\""`).
pub(crate) fn write_quoted(out: &mut String, value: &str) -> Result<(), WriteError> {
    out.reserve(value.len() + 2);
    write_quoted_to(value, |s| out.push_str(s))
}

/// [`write_quoted`] into any sink, in pieces (for buffers that are not a `String`). Nothing
/// is written when `value` is refused.
pub(crate) fn write_quoted_to(value: &str, mut out: impl FnMut(&str)) -> Result<(), WriteError> {
    // One pass without early exit (it vectorises) for the common case: nothing to escape or
    // refuse (HTAB, allowed, takes the careful path).
    let mut special = 0u8;
    for b in value.bytes() {
        special |= u8::from(b < 0x20) | u8::from(b == b'"') | u8::from(b == b'\\') | u8::from(b == 0x7F);
    }
    if special == 0 {
        out("\"");
        out(value);
        out("\"");
        return Ok(());
    }
    if value.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7F) {
        return Err(WriteError::ControlCharacter);
    }
    out("\"");
    // `"` and `\\` are ASCII, so splitting around them keeps UTF-8 intact.
    let mut rest = value;
    while let Some(at) = rest.bytes().position(|b| b == b'"' || b == b'\\') {
        out(&rest[..at]);
        out("\\");
        out(&rest[at..=at]);
        rest = &rest[at + 1..];
    }
    out(rest);
    out("\"");
    Ok(())
}

/// A builder for one challenge (`WWW-Authenticate` field value).
///
/// Parameters are written in the order they are added, `name=value` for tokens and
/// `name="value"` for quoted strings. Errors are remembered and reported by
/// [`Challenge::to_header_value`].
#[derive(Debug, Clone)]
pub struct Challenge {
    out: String,
    params: usize,
    error: Option<WriteError>,
}

impl Challenge {
    /// Starts a challenge for `scheme` (e.g. `"Basic"`).
    pub fn new(scheme: &str) -> Self {
        let error = (!is_token(scheme.as_bytes())).then_some(WriteError::NotAToken);
        Challenge {
            out: scheme.to_owned(),
            params: 0,
            error,
        }
    }

    fn sep(&mut self, name: &str) {
        if !is_token(name.as_bytes()) {
            self.error.get_or_insert(WriteError::NotAToken);
        }
        self.out.push_str(if self.params == 0 { " " } else { ", " });
        self.params += 1;
        self.out.push_str(name);
        self.out.push('=');
    }

    /// Adds `name="value"`, escaping the value.
    pub fn quoted(mut self, name: &str, value: &str) -> Self {
        self.sep(name);
        if let Err(e) = write_quoted(&mut self.out, value) {
            self.error.get_or_insert(e);
        }
        self
    }

    /// Adds `name=value`; the value must be a token.
    pub fn token(mut self, name: &str, value: &str) -> Self {
        self.sep(name);
        if !is_token(value.as_bytes()) {
            self.error.get_or_insert(WriteError::NotAToken);
        }
        self.out.push_str(value);
        self
    }

    /// The challenge as text.
    pub fn as_str(&self) -> &str {
        &self.out
    }

    /// The challenge as a header value; `None` when a name or a token value is not a token,
    /// or a quoted value holds a control character other than HTAB (it could not be sent).
    pub fn to_header_value(&self) -> Option<HeaderValue> {
        if self.error.is_some() {
            return None;
        }
        HeaderValue::from_str(&self.out).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The prefix test the schemes' `detect` uses agrees with `split_scheme` + compare on
    /// every string over an alphabet of scheme letters, separators and whitespace.
    #[test]
    fn starts_with_scheme_agrees_with_split_scheme() {
        let alphabet: &[u8] = b"BaSsIc \t=,\"x";
        let mut values: Vec<Vec<u8>> = vec![Vec::new()];
        for _ in 0..4 {
            let next: Vec<Vec<u8>> = values
                .iter()
                .flat_map(|v| alphabet.iter().map(move |&b| [v.as_slice(), &[b]].concat()))
                .collect();
            values.extend(next.into_iter().filter(|v| v.len() <= 4));
            values.sort();
            values.dedup();
        }
        for prefix in ["", "Basic", "basic", "BASIC", "Bas", "Basics"] {
            for v in &values {
                let value = [prefix.as_bytes(), v.as_slice()].concat();
                for name in ["Basic", "B", "Bs", "Digest"] {
                    let reference = split_scheme(&value).is_some_and(|(s, _)| s.eq_ignore_ascii_case(name));
                    assert_eq!(
                        starts_with_scheme(&value, name),
                        reference,
                        "{:?} {name}",
                        String::from_utf8_lossy(&value)
                    );
                }
            }
        }
    }

    #[test]
    fn token68_table() {
        for ok in [&b"a"[..], b"abc==", b"A-._~+/9", b"QWxhZGRpbjpvcGVuIHNlc2FtZQ=="] {
            assert!(is_token68(ok), "{ok:?}");
        }
        for bad in [&b""[..], b"=", b"a=b", b"a b", b"a\"", b"a,b", b"\xc3\xa4"] {
            assert!(!is_token68(bad), "{bad:?}");
        }
    }

    #[test]
    fn split_scheme_forms() {
        assert_eq!(split_scheme(b"basic x"), Some(("basic", &b"x"[..])));
        assert_eq!(split_scheme(b"Basic\tx"), None);
        assert_eq!(split_scheme(b"Basic x  "), Some(("Basic", &b"x"[..])));
        assert_eq!(split_scheme(b""), None);
        assert_eq!(split_scheme(b"B@sic x"), None);
    }

    #[test]
    fn params_grammar() {
        let p = AuthParams::parse(br#"Realm="a\\b", NONCE = xyz,,  , qop="auth","#).unwrap();
        assert_eq!(p.len(), 3);
        assert_eq!(p.get("realm"), Some("a\\b"));
        assert_eq!(p.get("nonce"), Some("xyz"));
        assert!(!p.get_value("nonce").unwrap().was_quoted());
        assert!(p.get_value("qop").unwrap().was_quoted());
        assert_eq!(p.get("missing"), None);
        assert!(AuthParams::parse(b"").unwrap().is_empty());
        assert!(AuthParams::parse(b" , ,").unwrap().is_empty());
    }

    #[test]
    fn params_quoted_pairs_and_utf8() {
        let p = AuthParams::parse(r#"username="we\"ird\\u", x="Jäsøn Doe""#.as_bytes()).unwrap();
        assert_eq!(p.get("username"), Some("we\"ird\\u"));
        assert_eq!(p.get("x"), Some("Jäsøn Doe"));
    }

    #[test]
    fn qdtext_fast_scan_agrees_with_the_table() {
        for b in 0..=255u8 {
            for at in 0..40 {
                let mut input = vec![b'a'; 40];
                input[at] = b;
                for start in 0..20 {
                    assert_eq!(
                        skip_qdtext(&input, start),
                        skip_class(&input, start, QDTEXT),
                        "byte {b:#x} at {at} from {start}"
                    );
                }
            }
        }
        // Two special bytes: the first one found must be the lower one, whatever a borrow
        // does to the bytes above it.
        let special = [b'\t', 0x00, 0x1F, b'"', b'\\', 0x7F, 0x80, 0xFF, b' ', 0x21, 0x5D];
        for &b1 in &special {
            for &b2 in &special {
                for at1 in 0..24 {
                    for at2 in at1 + 1..26 {
                        let mut input = vec![b'a'; 34];
                        input[at1] = b1;
                        input[at2] = b2;
                        assert_eq!(
                            skip_qdtext(&input, 0),
                            skip_class(&input, 0, QDTEXT),
                            "bytes {b1:#x} at {at1}, {b2:#x} at {at2}"
                        );
                    }
                }
            }
        }
        let long = format!("x=\"{}\tJ\u{e4}s\u{f8}n {}\", y=1", "a".repeat(40), "b".repeat(17));
        let p = AuthParams::parse(long.as_bytes()).unwrap();
        assert_eq!(p.get("x").unwrap().len(), 40 + 1 + 8 + 17);
        assert_eq!(p.get("y"), Some("1"));
        assert!(AuthParams::parse(format!("x=\"{}\u{7f}{}\"", "a".repeat(9), "b".repeat(9)).as_bytes()).is_err());
    }

    #[test]
    fn duplicates_found_in_any_case_and_look_alikes_kept() {
        for name in [
            "username", "realm", "nonce", "uri", "qop", "nc", "cnonce", "x", "userhash", "p31",
        ] {
            let upper = name.to_ascii_uppercase();
            let input = format!("a=1, {name}=1, b=\"2\", {upper}=3, c=4");
            assert_eq!(
                AuthParams::parse(input.as_bytes()).unwrap_err(),
                ParamError::Duplicate(name.into()),
                "{input}"
            );
        }
        // Same length and first letter (and so the same prefilter bit), different names.
        let p = AuthParams::parse(b"nonce=1, nxxxx=2, NYYYY=3, response=4, r1234567=5").unwrap();
        assert_eq!(p.len(), 5);
        assert_eq!(p.get("nyyyy"), Some("3"));
    }

    #[test]
    fn params_rejects() {
        let bad: &[&[u8]] = &[
            b"a",
            b"a=",
            b"=b",
            b"a=\"b",
            b"a=\"b\\",
            b"a=\"b\\\x01\"",
            b"a=b c=d",
            b"a=b;c=d",
            b"a=\"b\"c",
            b"a=\"\x00\"",
            b"a=\xff",
            b"a=\"\xff\"",
            b"a=1, A=2",
        ];
        for input in bad {
            assert!(
                AuthParams::parse(input).is_err(),
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
        assert_eq!(
            AuthParams::parse(b"a=1, A=2").unwrap_err(),
            ParamError::Duplicate("a".into())
        );
        let many: String = (0..=MAX_PARAMS).map(|i| format!("p{i}=1,")).collect();
        assert_eq!(AuthParams::parse(many.as_bytes()).unwrap_err(), ParamError::TooMany);
    }

    #[test]
    fn challenge_writer_round_trips() {
        let c = Challenge::new("Digest").quoted("realm", "r\"\\").token("stale", "true");
        let v = c.to_header_value().unwrap();
        let (scheme, rest) = split_scheme(v.as_bytes()).unwrap();
        assert_eq!(scheme, "Digest");
        let p = AuthParams::parse(rest).unwrap();
        assert_eq!(p.get("realm"), Some("r\"\\"));
        assert_eq!(p.get("stale"), Some("true"));
        assert!(
            Challenge::new("Basic")
                .quoted("realm", "a\nb")
                .to_header_value()
                .is_none()
        );
        assert!(Challenge::new("Basic").token("x", "a b").to_header_value().is_none());
        assert!(Challenge::new("Ba sic").to_header_value().is_none());
    }
}

/// Property tests: what the writers produce, the parsers read back unchanged.
#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Text a quoted-string can carry: anything but control characters (HTAB allowed), with the
    /// characters that need escaping over-represented.
    fn quotable() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop_oneof![
                3 => prop::sample::select(vec!['"', '\\', '\t', ' ', ',', '=', 'ä', '€', '😀']),
                5 => any::<char>().prop_filter("no controls", |c| !c.is_control()),
            ],
            0..40,
        )
        .prop_map(|v| v.into_iter().collect())
    }

    fn token() -> impl Strategy<Value = String> {
        "[!#$%&'*+.^_`|~0-9A-Za-z-]{1,16}"
    }

    fn token68() -> impl Strategy<Value = String> {
        "[A-Za-z0-9._~+/-]{1,64}={0,3}"
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn quoted_strings_round_trip(name in token(), value in quotable()) {
            let mut list = format!("{name}=");
            write_quoted(&mut list, &value).unwrap();
            let params = AuthParams::parse(list.as_bytes()).unwrap();
            prop_assert_eq!(params.len(), 1);
            prop_assert_eq!(params.get(&name), Some(value.as_str()));
            prop_assert_eq!(params.was_quoted(&name), Some(true));
            // Names match case-insensitively.
            prop_assert_eq!(params.get(&name.to_ascii_uppercase()), Some(value.as_str()));
        }

        #[test]
        fn control_characters_are_refused_by_the_writer(
            before in quotable(),
            ctl in prop::sample::select((0u8..0x20).filter(|&b| b != b'\t').chain([0x7f]).collect::<Vec<_>>()),
            after in quotable(),
        ) {
            let value = format!("{before}{}{after}", char::from(ctl));
            prop_assert!(write_quoted(&mut String::new(), &value).is_err());
            prop_assert!(Challenge::new("Basic").quoted("realm", &value).to_header_value().is_none());
        }

        #[test]
        fn challenges_round_trip(
            scheme in token(),
            params in prop::collection::vec((token(), prop_oneof![quotable().prop_map(Ok), token().prop_map(Err)]), 0..MAX_PARAMS),
        ) {
            // Names must be unique (case-insensitively) in one challenge.
            let mut seen = std::collections::HashSet::new();
            let params: Vec<_> = params.into_iter().filter(|(n, _)| seen.insert(n.to_ascii_lowercase())).collect();
            let mut c = Challenge::new(&scheme);
            for (name, value) in &params {
                c = match value {
                    Ok(q) => c.quoted(name, q),
                    Err(t) => c.token(name, t),
                };
            }
            let header = c.to_header_value().unwrap();
            // Non-ASCII values travel as obs-text: compare bytes.
            prop_assert_eq!(header.as_bytes(), c.as_str().as_bytes());
            let (s, rest) = split_scheme(header.as_bytes()).unwrap();
            prop_assert_eq!(s, scheme.as_str());
            let parsed = AuthParams::parse(rest).unwrap();
            prop_assert_eq!(parsed.len(), params.len());
            for ((name, value), (pn, pv)) in params.iter().zip(parsed.iter()) {
                prop_assert_eq!(name.as_str(), pn);
                let quoted = parsed.was_quoted(pn);
                match value {
                    Ok(q) => { prop_assert_eq!(q.as_str(), pv); prop_assert_eq!(quoted, Some(true)); }
                    Err(t) => { prop_assert_eq!(t.as_str(), pv); prop_assert_eq!(quoted, Some(false)); }
                }
            }
        }

        #[test]
        fn token68_accepts_its_alphabet_and_nothing_else(t in token68(), bad in "[^A-Za-z0-9._~+/=-]", at in any::<prop::sample::Index>()) {
            prop_assert!(is_token68(t.as_bytes()));
            let body_len = t.trim_end_matches('=').len();
            let mut broken = t.clone();
            broken.insert_str(at.index(body_len + 1).min(body_len), &bad);
            prop_assert!(!is_token68(broken.as_bytes()), "{:?}", broken);
            // '=' only as trailing padding.
            let leading = format!("={}", t);
            prop_assert!(!is_token68(leading.as_bytes()));
            // Every token68 character but '/' is also a tchar.
            prop_assert!(is_token(t.trim_end_matches('=').as_bytes()) || t.contains('/'));
        }
    }
}
