//! An independent reference for the HTTP authentication grammar, written from the ABNF of
//! RFC 9110 (§5.6 and §11) with `winnow`, sharing no code with the crate's hand-written
//! parser (src/header.rs). Strict: it accepts exactly what the ABNF generates. What the crate
//! does differently on purpose is not here but in `oracle.rs`, each case with its reason.

use winnow::Parser;
use winnow::combinator::{alt, eof, opt, preceded, repeat, terminated};
use winnow::error::ContextError;
use winnow::token::{one_of, take_while};

type PResult<T> = winnow::Result<T, ContextError>;

/// One `auth-param`: the name as sent, the value unquoted (`unq()`), and whether it was a
/// quoted-string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    pub name: Vec<u8>,
    pub value: Vec<u8>,
    pub quoted: bool,
}

/// What follows `auth-scheme 1*SP`: `token68 / #auth-param`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Form {
    Token68(Vec<u8>),
    Params(Vec<Param>),
}

/// tchar (RFC 9110 §5.6.2) = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
/// "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
fn is_tchar(b: u8) -> bool {
    matches!(b,
        b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~'
        | b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z')
}

/// qdtext (§5.6.4) = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
fn is_qdtext(b: u8) -> bool {
    matches!(b, b'\t' | b' ' | 0x21 | 0x23..=0x5B | 0x5D..=0x7E | 0x80..=0xFF)
}

/// What may follow the backslash of a quoted-pair (§5.6.4): HTAB / SP / VCHAR / obs-text
fn is_quoted_pair_char(b: u8) -> bool {
    matches!(b, b'\t' | b' ' | 0x21..=0x7E | 0x80..=0xFF)
}

/// token68's body characters (§11.2): ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/"
fn is_token68_char(b: u8) -> bool {
    matches!(b, b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z' | b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
}

/// token = 1*tchar
fn token<'i>(input: &mut &'i [u8]) -> PResult<&'i [u8]> {
    take_while(1.., is_tchar).parse_next(input)
}

/// OWS = *( SP / HTAB ); BWS = OWS (§5.6.3)
fn ows<'i>(input: &mut &'i [u8]) -> PResult<&'i [u8]> {
    take_while(0.., (b' ', b'\t')).parse_next(input)
}

/// quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE; quoted-pair = "\" ( HTAB / SP /
/// VCHAR / obs-text ). Returns the content with each quoted-pair replaced by its character.
fn quoted_string(input: &mut &[u8]) -> PResult<Vec<u8>> {
    let piece = alt((
        take_while(1.., is_qdtext).map(|s: &[u8]| s.to_vec()),
        preceded(b'\\', one_of(is_quoted_pair_char)).map(|b: u8| vec![b]),
    ));
    let content = repeat(0.., piece).fold(Vec::new, |mut acc: Vec<u8>, part: Vec<u8>| {
        acc.extend_from_slice(&part);
        acc
    });
    preceded(b'"', terminated(content, b'"')).parse_next(input)
}

/// auth-param = token BWS "=" BWS ( token / quoted-string ) (§11.2)
fn auth_param(input: &mut &[u8]) -> PResult<Param> {
    let name = token.parse_next(input)?;
    (ows, b'=', ows).parse_next(input)?;
    let (value, quoted) = alt((
        token.map(|t: &[u8]| (t.to_vec(), false)),
        quoted_string.map(|q| (q, true)),
    ))
    .parse_next(input)?;
    Ok(Param {
        name: name.to_vec(),
        value,
        quoted,
    })
}

/// `#auth-param` as a recipient reads it (§5.6.1.2): `[ element ] *( OWS "," OWS [ element ] )`,
/// empty elements ignored.
fn auth_param_list(input: &mut &[u8]) -> PResult<Vec<Param>> {
    let first = opt(auth_param).parse_next(input)?;
    let rest: Vec<Option<Param>> = repeat(0.., preceded((ows, b',', ows), opt(auth_param))).parse_next(input)?;
    Ok(first.into_iter().chain(rest.into_iter().flatten()).collect())
}

/// token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" (§11.2)
fn token68<'i>(input: &mut &'i [u8]) -> PResult<&'i [u8]> {
    (take_while(1.., is_token68_char), take_while(0.., b'='))
        .take()
        .parse_next(input)
}

/// The whole of `input` as `#auth-param`, or `None`.
pub fn params(input: &[u8]) -> Option<Vec<Param>> {
    terminated(auth_param_list, eof).parse(input).ok()
}

/// The whole of `input` as `token68 / #auth-param`, or `None`. Both can match only the empty
/// input (`token68` is not empty), which is the empty list.
pub fn form(input: &[u8]) -> Option<Form> {
    alt((
        terminated(token68, eof).map(|t: &[u8]| Form::Token68(t.to_vec())),
        terminated(auth_param_list, eof).map(Form::Params),
    ))
    .parse(input)
    .ok()
}

/// The start of `credentials = auth-scheme [ 1*SP ( token68 / #auth-param ) ]` (§11.4): the
/// scheme, and what follows its `1*SP` (empty when nothing follows the scheme); `None` when
/// the input does not start with a token followed by a space or by nothing.
pub fn scheme(input: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut rest = input;
    let name = token(&mut rest).ok()?;
    if rest.is_empty() {
        return Some((name, rest));
    }
    let _: &[u8] = take_while::<_, _, ContextError>(1.., b' ').parse_next(&mut rest).ok()?;
    Some((name, rest))
}
