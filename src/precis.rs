//! Internationalized user-ids and passwords (PRECIS, RFC 8265, which obsoletes RFC 7613).
//!
//! With `charset="UTF-8"` in the challenge, RFC 7617 §2.1 (Basic) and RFC 7616 §4 (Digest)
//! expect user-ids and passwords in Unicode NFC, and require recipients to handle user-ids per
//! the PRECIS *UsernameCasePreserved* profile (without `:`) and passwords per *OpaqueString*.
//! Without it, a password typed as a precomposed `é` (U+00E9) on one device and as `e` +
//! U+0301 on another would be two different passwords, and `ｊｏｈｎ` typed on a fullwidth
//! keyboard would be another user than `john`.
//!
//! [`Basic`](crate::Basic) and [`Digest`](crate::digest::Digest) apply these two functions to every
//! credential they read, unless turned off with [`Precis::Off`]:
//!
//! - [`username`] (UsernameCasePreserved, RFC 8265 §3.4): fullwidth and halfwidth forms
//!   mapped to their ordinary forms (`ｊｏｈｎ` → `john`), NFC, the Bidi Rule for
//!   right-to-left names; case kept (`John` and `john` stay two users). Letters, digits and
//!   printable ASCII are allowed; controls, symbols such as emoji or U+FFFD, unassigned code
//!   points, the colon and empty names are refused. A user-id may be several *userparts*
//!   separated by single ASCII spaces (RFC 8265 §3.1: `Jäsøn Doe`), each checked alone.
//! - [`password`] (OpaqueString, RFC 8265 §4.2): every non-ASCII space (U+00A0, U+3000, …)
//!   mapped to U+0020, NFC; controls and unassigned code points refused, and the empty
//!   password too. Symbols, most emoji and U+FFFD are allowed; case and width are kept.
//!
//! "Unassigned" means unassigned in Unicode 6.3, the version of the IANA PRECIS tables
//! (RFC 8264 §11) that `precis-core` follows: characters added since, such as the emoji 🦀
//! (Unicode 8.0) or letters of scripts encoded later, are refused in user-ids and passwords
//! (😀, Unicode 6.1, is fine in a password). If your users may hold such passwords, use
//! [`Precis::Off`].
//!
//! A credential that either function refuses is answered `401` (wrong credentials), before
//! your verifier or credential store runs.
//!
//! # Store what you compare with: the enforced forms
//!
//! Verifiers see the **enforced** user-id and password, so whatever you stored must have
//! been enforced the same way at registration, or users whose names or passwords are not
//! already in that form can no longer log in:
//!
//! ```
//! use tower_httpauth::precis;
//!
//! # fn main() -> Result<(), precis::PrecisError> {
//! // Registration: enforce, then store (hash) what the functions return.
//! let name = precis::username("ｊｏｈｎ")?; // fullwidth
//! let pass = precis::password("caf\u{65}\u{301}")?; // "café", decomposed
//! assert_eq!(name, "john");
//! assert_eq!(pass, "caf\u{e9}"); // precomposed (NFC)
//! // then e.g. `HashPolicy::default().hash(&pass)` (`store`), or `Algorithm::ha1(alg, &name, realm, &pass)`.
//!
//! // Refused at registration as they would be at login:
//! assert_eq!(precis::password(""), Err(precis::PrecisError::Empty));
//! assert_eq!(precis::username("a:b"), Err(precis::PrecisError::Colon));
//! # Ok(()) }
//! ```
//!
//! ASCII user-ids and passwords are already in their enforced form (any printable ASCII
//! except `:` in a user-id, which also must not start or end with a space nor hold two in a
//! row; any printable ASCII in a password), so stores that only ever held ASCII need no
//! migration. The crate's built-in stores ([`StaticCredentials`](crate::basic::StaticCredentials),
//! [`DigestUsers`](crate::digest::DigestUsers)) enforce what you give them. For hashes you compute
//! yourself (`store::HashPolicy::hash`, [`Algorithm::ha1`](crate::digest::Algorithm::ha1),
//! htpasswd and htdigest files), hash the enforced forms.
//!
//! For Digest, the client computes its hashes over the name and password it has: a client
//! that hashes a non-NFC password cannot be helped on the server side (RFC 7616 §4 asks
//! clients for NFC, as browsers, curl and python send for text typed normally).
//!
//! These functions wrap the [`precis-profiles`](https://docs.rs/precis-profiles) crate,
//! with a fast path that neither allocates nor looks up any table for ASCII input. Every form
//! they accept is a fixed point (enforcing it again gives it back): the rare input whose
//! enforced form `precis-core` would itself refuse (its context rules run before NFC reorders
//! combining marks) is refused.

use std::borrow::Cow;
use std::fmt;

use precis_profiles::precis_core::Error as CoreError;
use precis_profiles::precis_core::profile::PrecisFastInvocation;
use precis_profiles::{OpaqueString, UsernameCasePreserved};

/// Whether a scheme applies PRECIS (RFC 8265) to the credentials it reads. See the
/// [module docs](self).
///
/// ```
/// use tower_httpauth::Basic;
/// use tower_httpauth::precis::Precis;
/// use tower_httpauth::basic::StaticCredentials;
/// // Compare user-ids and passwords byte for byte, as sent (not what RFC 7617 asks).
/// let basic = Basic::new(StaticCredentials::new("john", "hello")).precis(Precis::Off);
/// # let _ = basic;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Precis {
    /// User-ids through [`username`], passwords through [`password`]; a refused one is
    /// answered `401`. The default, as RFC 7617 §2.1 and RFC 7616 §4 require.
    #[default]
    Enforce,
    /// User-ids and passwords as sent (after base64, UTF-8 / ISO-8859-1 or RFC 5987
    /// decoding), byte for byte. For stores that hold non-normalised forms you cannot
    /// migrate. Note that [`StaticCredentials`](crate::basic::StaticCredentials) and
    /// [`DigestUsers`](crate::digest::DigestUsers) keep the enforced forms of what you give them.
    Off,
}

impl Precis {
    /// Whether this mode enforces.
    pub(crate) fn enforces(self) -> bool {
        self == Precis::Enforce
    }
}

/// Why [`username`] or [`password`] refused a string. The error never holds the string
/// nor the refused code point (it may come from a password).
///
/// ```
/// use tower_httpauth::precis::{self, PrecisError};
/// assert_eq!(precis::username("bad\u{7}bell"), Err(PrecisError::Disallowed));
/// assert_eq!(precis::username("two  spaces"), Err(PrecisError::Empty));
/// assert_eq!(precis::password("p\u{378}"), Err(PrecisError::Disallowed)); // unassigned
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PrecisError {
    /// The string is empty, or (a user-id) has an empty userpart: it starts or ends with a
    /// space, or holds two in a row.
    Empty,
    /// The string holds a code point its profile disallows: a control character, an
    /// unassigned code point, or (a user-id) a space other than U+0020, a symbol, …
    Disallowed,
    /// The user-id holds a colon (RFC 7617 §2: it would end the user-id; RFC 7616 §4).
    Colon,
    /// The user-id holds right-to-left characters but breaks the Bidi Rule (RFC 5893).
    Directionality,
}

impl fmt::Display for PrecisError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PrecisError::Empty => "empty user-id, userpart or password",
            PrecisError::Disallowed => "a code point the PRECIS profile disallows",
            PrecisError::Colon => "a colon in a user-id",
            PrecisError::Directionality => "a user-id that breaks the Bidi Rule",
        })
    }
}

impl std::error::Error for PrecisError {}

/// The enforced form of a user-id (RFC 8265 §3.4, UsernameCasePreserved, without `:`):
/// fullwidth/halfwidth forms mapped, NFC, Bidi Rule checked, case kept; userparts separated
/// by single ASCII spaces are enforced one by one. See the [module docs](self).
///
/// Borrows (no allocation) when the user-id is already in its enforced form, which every
/// printable-ASCII user-id without a colon, leading, trailing or doubled space is.
///
/// ```
/// use std::borrow::Cow;
/// use tower_httpauth::precis::{self, PrecisError};
/// assert!(matches!(precis::username("Mufasa"), Ok(Cow::Borrowed("Mufasa"))));
/// assert_eq!(precis::username("ＪＯＨＮ").unwrap(), "JOHN"); // width mapped, case kept
/// assert_eq!(precis::username("Ja\u{308}s\u{f8}n Doe").unwrap(), "J\u{e4}s\u{f8}n Doe"); // NFC
/// assert_eq!(precis::username("🦀"), Err(PrecisError::Disallowed));
/// assert_eq!(precis::username(""), Err(PrecisError::Empty));
/// ```
pub fn username(s: &str) -> Result<Cow<'_, str>, PrecisError> {
    if is_enforced_ascii_username(s.as_bytes()) {
        return Ok(Cow::Borrowed(s));
    }
    if s.is_empty() {
        return Err(PrecisError::Empty);
    }
    let mut out: Option<String> = None;
    // Where the current userpart starts in `s`.
    let mut start = 0;
    for part in s.split(' ') {
        if part.is_empty() {
            return Err(PrecisError::Empty);
        }
        let enforced = stable(UsernameCasePreserved::enforce(part), |e| {
            UsernameCasePreserved::enforce(e)
        })
        .map_err(|e| username_error(&e))?;
        // A colon can only come from the input itself or from width mapping (U+FF1A).
        if enforced.contains(':') {
            return Err(PrecisError::Colon);
        }
        match (&mut out, enforced) {
            (None, Cow::Borrowed(_)) => {}
            (out @ None, Cow::Owned(e)) => {
                // The first change: copy what came before it, separating space included.
                let mut o = String::with_capacity(s.len() + e.len());
                o.push_str(&s[..start]);
                o.push_str(&e);
                *out = Some(o);
            }
            (Some(o), e) => {
                o.push(' ');
                o.push_str(&e);
            }
        }
        start += part.len() + 1;
    }
    Ok(out.map_or(Cow::Borrowed(s), Cow::Owned))
}

/// The enforced form of a password (RFC 8265 §4.2, OpaqueString): non-ASCII spaces mapped
/// to U+0020, NFC; controls, unassigned code points and the empty password refused. See the
/// [module docs](self).
///
/// Borrows (no allocation) when the password is already in its enforced form, which every
/// non-empty printable-ASCII password (spaces included) is.
///
/// ```
/// use std::borrow::Cow;
/// use tower_httpauth::precis::{self, PrecisError};
/// assert!(matches!(precis::password("Circle of Life"), Ok(Cow::Borrowed(_))));
/// assert_eq!(precis::password("e\u{301}t\u{e9}").unwrap(), "\u{e9}t\u{e9}"); // NFC
/// assert_eq!(precis::password("a\u{a0}b\u{3000}c").unwrap(), "a b c"); // spaces mapped
/// assert_eq!(precis::password("ｐａｓｓ").unwrap(), "ｐａｓｓ"); // width kept
/// assert_eq!(precis::password("tab\there"), Err(PrecisError::Disallowed));
/// assert_eq!(precis::password(""), Err(PrecisError::Empty));
/// ```
pub fn password(s: &str) -> Result<Cow<'_, str>, PrecisError> {
    if !s.is_empty() && s.bytes().all(|b| (0x20..0x7F).contains(&b)) {
        return Ok(Cow::Borrowed(s));
    }
    if s.is_empty() {
        return Err(PrecisError::Empty);
    }
    stable(OpaqueString::enforce(s), |e| OpaqueString::enforce(e)).map_err(|e| match e {
        CoreError::Invalid => PrecisError::Empty,
        _ => PrecisError::Disallowed,
    })
}

/// Keeps an enforced form only if enforcing it again leaves it as it is.
///
/// `precis-core` checks the contextual rules (such as ZERO WIDTH JOINER after a virama) before
/// normalising, so NFC's reordering of combining marks can turn an accepted string into one
/// it would refuse (`"\u{301}\u{94d}\u{200d}"` becomes `"\u{94d}\u{301}\u{200d}"`, whose
/// joiner no longer follows the virama). Such a string is refused: whatever is accepted is a
/// fixed point, so a client sending the enforced form gets the same answer as one sending
/// the original. Only the slow (non-ASCII) path pays for the second pass.
fn stable<'a>(
    first: Result<Cow<'a, str>, CoreError>,
    again: impl Fn(&str) -> Result<Cow<'_, str>, CoreError>,
) -> Result<Cow<'a, str>, CoreError> {
    let enforced = first?;
    match again(&enforced) {
        Ok(Cow::Borrowed(_)) => Ok(enforced),
        Ok(Cow::Owned(o)) if o == *enforced => Ok(enforced),
        Ok(_) => Err(CoreError::Unexpected(
            precis_profiles::precis_core::UnexpectedError::Undefined,
        )),
        Err(e) => Err(e),
    }
}

/// Whether `b` is a user-id made of printable ASCII userparts without colons, separated by
/// single spaces: exactly the ASCII user-ids that [`username`] leaves as they are.
///
/// RFC 8264 §9.11 puts U+0021..U+007E (ASCII7) in PVALID of the IdentifierClass before any
/// other rule; width mapping, NFC and the Bidi Rule leave ASCII unchanged (no ASCII code
/// point has a width mapping, a decomposition or right-to-left direction). The space is not
/// in the class, hence the userpart split.
pub(crate) fn is_enforced_ascii_username(b: &[u8]) -> bool {
    let (Some(&first), Some(&last)) = (b.first(), b.last()) else {
        return false;
    };
    first != b' '
        && last != b' '
        && b.iter().all(|&c| (0x20..0x7F).contains(&c) && c != b':')
        && !b.windows(2).any(|w| w == b"  ")
}

fn username_error(e: &CoreError) -> PrecisError {
    match e {
        // Empty parts are caught before; `Invalid` is then the Bidi Rule.
        CoreError::Invalid => PrecisError::Directionality,
        _ => PrecisError::Disallowed,
    }
}

/// The enforced forms of a user-id and password, `None` when both already are (nothing
/// copied); `Err` when either is refused.
pub(crate) fn enforce_pair(username: &str, password: &str) -> Result<Option<(String, String)>, PrecisError> {
    let u = self::username(username)?;
    let p = self::password(password)?;
    Ok(match (u, p) {
        (Cow::Borrowed(_), Cow::Borrowed(_)) => None,
        (u, p) => Some((u.into_owned(), p.into_owned())),
    })
}

/// The enforced form when there is one, else the string as given: for stores that keep
/// what they are given (a refused form can never equal an enforced one, so it simply never
/// matches while enforcing, and still matches byte for byte with [`Precis::Off`]).
pub(crate) fn username_or_same(s: &str) -> Cow<'_, str> {
    username(s).unwrap_or(Cow::Borrowed(s))
}

/// See [`username_or_same`].
pub(crate) fn password_or_same(s: &str) -> Cow<'_, str> {
    password(s).unwrap_or(Cow::Borrowed(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast paths agree with the profile on every ASCII character, alone and next to
    /// spaces, colons, letters, controls and the end of the string.
    #[test]
    fn ascii_fast_paths_agree_with_the_profile() {
        let slow_user = |s: &str| -> Result<String, PrecisError> {
            if s.is_empty() {
                return Err(PrecisError::Empty);
            }
            let mut parts = Vec::new();
            for p in s.split(' ') {
                if p.is_empty() {
                    return Err(PrecisError::Empty);
                }
                let e = UsernameCasePreserved::enforce(p).map_err(|e| username_error(&e))?;
                if e.contains(':') {
                    return Err(PrecisError::Colon);
                }
                parts.push(e.into_owned());
            }
            Ok(parts.join(" "))
        };
        let chars: Vec<char> = (0u8..0x80).map(char::from).collect();
        let mut inputs = vec![String::new()];
        for &a in &chars {
            inputs.push(a.to_string());
            for b in [' ', 'a', ':', 'Z', '~', '\u{7f}', '\t'] {
                inputs.push(format!("{a}{b}"));
                inputs.push(format!("{b}{a}"));
                inputs.push(format!("x{a}{b}"));
            }
        }
        for s in &inputs {
            let fast = is_enforced_ascii_username(s.as_bytes());
            let slow = slow_user(s);
            assert_eq!(fast, slow.as_deref() == Ok(s.as_str()), "{s:?}: {slow:?}");
            assert_eq!(username(s).map(Cow::into_owned), slow, "{s:?}");
            let pw_fast = !s.is_empty() && s.bytes().all(|b| (0x20..0x7F).contains(&b));
            let pw_slow = OpaqueString::enforce(s.as_str());
            assert_eq!(pw_fast, pw_slow.as_deref() == Ok(s.as_str()), "password {s:?}");
        }
    }

    /// NFC reorders the marks before the joiner, which then no longer follows the virama:
    /// such input is refused, so every accepted form is a fixed point.
    #[test]
    fn accepted_forms_are_fixed_points() {
        let s = "\u{301}\u{94d}\u{200d}";
        assert_eq!(password(s), Err(PrecisError::Disallowed));
        assert_eq!(password("\u{94d}\u{301}\u{200d}"), Err(PrecisError::Disallowed));
        assert!(username(s).is_err());
        // The virama right before the joiner is fine, and stays so.
        let ok = "\u{915}\u{94d}\u{200d}";
        assert!(matches!(password(ok), Ok(Cow::Borrowed(_))));
    }

    #[test]
    fn usernames() {
        assert_eq!(username("ｊｏｈｎ").unwrap(), "john");
        assert_eq!(username("ﾊﾟ").unwrap(), "パ"); // halfwidth katakana, then NFC
        assert_eq!(username("Jäsøn Doe").unwrap(), "Jäsøn Doe");
        assert!(matches!(username("Jäsøn Doe"), Ok(Cow::Borrowed(_))));
        assert_eq!(username("a ｂ c").unwrap(), "a b c");
        assert_eq!(username("ａ b").unwrap(), "a b");
        assert_eq!(username("a\u{ff1a}b"), Err(PrecisError::Colon)); // fullwidth colon
        assert_eq!(username("a\u{3000}b"), Err(PrecisError::Disallowed)); // ideographic space
        assert_eq!(username("a\u{a0}b"), Err(PrecisError::Disallowed));
        assert_eq!(username(" a"), Err(PrecisError::Empty));
        assert_eq!(username("a "), Err(PrecisError::Empty));
        assert_eq!(username("\u{fffd}"), Err(PrecisError::Disallowed));
        assert_eq!(username("a\u{85}"), Err(PrecisError::Disallowed)); // C1 control
        // RFC 5893 Bidi Rule: an RTL label must not start with a digit-like European number.
        assert_eq!(username("\u{5d0}\u{5d1}").unwrap(), "\u{5d0}\u{5d1}");
        assert_eq!(username("1\u{5d0}"), Err(PrecisError::Directionality));
    }

    #[test]
    fn passwords() {
        assert_eq!(password("\u{fffd}☠😀 x").unwrap(), "\u{fffd}☠😀 x");
        // Assigned after Unicode 6.3, the version of the IANA PRECIS tables: unassigned.
        assert_eq!(password("🦀"), Err(PrecisError::Disallowed));
        assert_eq!(password("\u{2003}").unwrap(), " "); // em space
        assert_eq!(password("Å").unwrap(), "Å"); // U+212B ANGSTROM SIGN → U+00C5
        assert_eq!(password("\u{85}"), Err(PrecisError::Disallowed));
        assert_eq!(password("a\u{0}"), Err(PrecisError::Disallowed));
        assert_eq!(password("\u{10ffff}"), Err(PrecisError::Disallowed));
    }

    #[test]
    fn enforcement_is_idempotent() {
        for s in ["ｊｏｈｎ", "Ja\u{308}s\u{f8}n Doe", "ﾊﾟ", "Å", "e\u{301}"] {
            let u = username(s).unwrap();
            assert_eq!(username(&u).unwrap(), u);
            let p = password(s).unwrap();
            assert!(matches!(password(&p), Ok(Cow::Borrowed(_))));
        }
    }
}
