//! [`BasicCredentials`]: a user-id and a password, decoded from `token68`.

use std::fmt;

use base64ct::{Base64, Encoding};
use http::HeaderValue;

use crate::precis::PrecisError;

/// Decoded Basic credentials: a user-id and a password.
///
/// [`Basic`](super::Basic) hands verifiers these in their RFC 8265 enforced forms (see
/// [`precis`](crate::precis) and [`Basic::precis`](super::Basic::precis));
/// [`new`](Self::new) keeps the text as it is.
///
/// `Debug` prints the user-id and hides the password.
#[derive(Clone, PartialEq, Eq)]
pub struct BasicCredentials {
    text: Text,
    colon: usize,
}

/// The longest decoded `user-id:password` kept inline (without allocating), in bytes.
const INLINE_LEN: usize = 118;

/// The text of the credentials, `user-id ":" password`, always valid UTF-8. Most
/// credentials are short, and keeping them inline spares an allocation per request.
#[derive(Clone, PartialEq, Eq)]
enum Text {
    /// The first `len` bytes of `buf`.
    Inline {
        len: u8,
        buf: [u8; INLINE_LEN],
    },
    Heap(Box<str>),
}

impl Text {
    fn new(s: &str) -> Text {
        if s.len() <= INLINE_LEN {
            let mut buf = [0u8; INLINE_LEN];
            buf[..s.len()].copy_from_slice(s.as_bytes());
            Text::Inline {
                len: s.len() as u8,
                buf,
            }
        } else {
            Text::Heap(s.into())
        }
    }

    fn as_str(&self) -> &str {
        match self {
            // Checked to be UTF-8 when built: cannot fail.
            Text::Inline { len, buf } => std::str::from_utf8(&buf[..usize::from(*len)]).unwrap_or_default(),
            Text::Heap(s) => s,
        }
    }
}

/// Why a Basic credential could not be decoded: each is a malformed request (`400`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DecodeError {
    NotToken68,
    NotBase64,
    NoColon,
    ControlCharacter,
}

impl DecodeError {
    pub(crate) fn message(self) -> &'static str {
        match self {
            DecodeError::NotToken68 => "Basic credentials are not a token68",
            DecodeError::NotBase64 => "Basic credentials are not standard padded base64",
            DecodeError::NoColon => "Basic credentials have no colon between user-id and password",
            DecodeError::ControlCharacter => "Basic credentials contain a control character",
        }
    }
}

impl BasicCredentials {
    /// Credentials from a user-id and a password.
    ///
    /// ```
    /// let c = tower_httpauth::BasicCredentials::new("Aladdin", "open sesame");
    /// assert_eq!(c.to_header_value(), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
    /// ```
    pub fn new(username: &str, password: &str) -> Self {
        BasicCredentials {
            text: Text::new(&format!("{username}:{password}")),
            colon: username.len(),
        }
    }

    /// Decodes the `token68` that follows `Basic ` in an `Authorization` field: standard,
    /// padded base64 (decoded in constant time, RFC 4648 §4) of `user-id ":" password`, split
    /// at the first colon, read as UTF-8 or else as ISO-8859-1 (RFC 7617 App. B.2, what
    /// python `requests` sends).
    pub(crate) fn decode(token: &[u8]) -> Result<Self, DecodeError> {
        if !crate::header::is_token68(token) {
            return Err(DecodeError::NotToken68);
        }
        let mut buf = [0u8; INLINE_LEN];
        let mut heap = Vec::new();
        let decoded = match Base64::decode(token, &mut buf) {
            Ok(decoded) => decoded,
            Err(base64ct::Error::InvalidLength) if token.len() / 4 * 3 > INLINE_LEN => {
                heap.resize(token.len() / 4 * 3, 0);
                Base64::decode(token, &mut heap).map_err(|_| DecodeError::NotBase64)?
            }
            Err(_) => return Err(DecodeError::NotBase64),
        };
        let colon = decoded.iter().position(|&b| b == b':').ok_or(DecodeError::NoColon)?;
        if decoded.iter().any(|&b| b < 0x20 || b == 0x7F) {
            return Err(DecodeError::ControlCharacter);
        }
        match std::str::from_utf8(decoded) {
            Ok(text) => Ok(BasicCredentials {
                text: Text::new(text),
                colon,
            }),
            Err(_) => {
                // ISO-8859-1: every byte is the character of that code point. The colon
                // moves if anything before it was not ASCII, so look for it again.
                let text: String = decoded.iter().copied().map(char::from).collect();
                let colon = text.find(':').ok_or(DecodeError::NoColon)?;
                Ok(BasicCredentials {
                    text: Text::new(&text),
                    colon,
                })
            }
        }
    }

    /// The user-id.
    pub fn username(&self) -> &str {
        &self.text.as_str()[..self.colon]
    }

    /// The password.
    pub fn password(&self) -> &str {
        &self.text.as_str()[self.colon + 1..]
    }

    /// The credentials in their RFC 8265 enforced forms, when they differ from these; `None`
    /// when these already are.
    pub(crate) fn enforced(&self) -> Result<Option<Self>, PrecisError> {
        Ok(crate::precis::enforce_pair(self.username(), self.password())?.map(|(u, p)| BasicCredentials::new(&u, &p)))
    }

    /// Splits into owned user-id and password.
    pub fn into_parts(self) -> (String, String) {
        (self.username().to_owned(), self.password().to_owned())
    }

    /// The `Authorization` value a client sends for these credentials (UTF-8).
    pub fn to_header_value(&self) -> HeaderValue {
        let value = format!("Basic {}", Base64::encode_string(self.text.as_str().as_bytes()));
        HeaderValue::try_from(value).expect("base64 is a valid header value")
    }
}

impl fmt::Debug for BasicCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BasicCredentials")
            .field("username", &self.username())
            .field("password", &"<redacted>")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7617_vectors() {
        let c = BasicCredentials::decode(b"QWxhZGRpbjpvcGVuIHNlc2FtZQ==").unwrap();
        assert_eq!((c.username(), c.password()), ("Aladdin", "open sesame"));
        let c = BasicCredentials::decode(b"dGVzdDoxMjPCow==").unwrap();
        assert_eq!((c.username(), c.password()), ("test", "123£"));
        assert_eq!(
            BasicCredentials::new("test", "123£").to_header_value(),
            "Basic dGVzdDoxMjPCow=="
        );
    }

    #[test]
    fn split_at_the_first_colon() {
        let c = BasicCredentials::decode(b"dTpwOmE6Yg==").unwrap();
        assert_eq!((c.username(), c.password()), ("u", "p:a:b"));
    }

    #[test]
    fn decode_rejections() {
        assert_eq!(BasicCredentials::decode(b"dXNlcg=="), Err(DecodeError::NoColon)); // "user"
        assert_eq!(BasicCredentials::decode(b"!!!"), Err(DecodeError::NotToken68));
        assert_eq!(BasicCredentials::decode(b""), Err(DecodeError::NotToken68));
        assert_eq!(
            BasicCredentials::decode(b"QWxhZGRpbjpvcGVuIHNlc2FtZQ"),
            Err(DecodeError::NotBase64)
        ); // unpadded
        assert_eq!(BasicCredentials::decode(b"_-8="), Err(DecodeError::NotBase64)); // base64url
        assert_eq!(
            BasicCredentials::decode(b"dTpwAA=="),
            Err(DecodeError::ControlCharacter)
        ); // "u:p\0"
        assert_eq!(
            BasicCredentials::decode(b"dQk6cA=="),
            Err(DecodeError::ControlCharacter)
        ); // "u\t:p"
        assert_eq!(
            BasicCredentials::decode(b"dTpwfw=="),
            Err(DecodeError::ControlCharacter)
        ); // "u:p\x7f"
    }

    #[test]
    fn latin1_fallback_finds_the_colon_again() {
        // "é:p" in Latin-1: E9 3A 70
        let c = BasicCredentials::decode(b"6Tpw").unwrap();
        assert_eq!((c.username(), c.password()), ("é", "p"));
        // "Jäsøn Doe:Secret, or not?" as python requests sends it.
        let c = BasicCredentials::decode(b"SuRz+G4gRG9lOlNlY3JldCwgb3Igbm90Pw==").unwrap();
        assert_eq!((c.username(), c.password()), ("Jäsøn Doe", "Secret, or not?"));
    }

    #[test]
    fn inline_and_heap_storage_agree() {
        for len in [
            1usize,
            2,
            50,
            INLINE_LEN - 1,
            INLINE_LEN,
            INLINE_LEN + 1,
            INLINE_LEN + 2,
            300,
            3000,
        ] {
            let user = "u".repeat(len / 3);
            let rest = len - len / 3 - 1;
            let pass = ":".repeat(rest.min(1)) + &"x".repeat(rest.saturating_sub(1));
            let built = BasicCredentials::new(&user, &pass);
            let value = built.to_header_value();
            let decoded = BasicCredentials::decode(&value.as_bytes()[6..]).unwrap();
            assert_eq!(
                (decoded.username(), decoded.password()),
                (user.as_str(), pass.as_str()),
                "len {len}"
            );
            assert_eq!(decoded, built);
        }
        // 100 bytes of 0xE9 ("é" in Latin-1) become 200 bytes of UTF-8.
        let mut raw = vec![0xE9u8; 100];
        raw.extend_from_slice(b":pw");
        let c = BasicCredentials::decode(Base64::encode_string(&raw).as_bytes()).unwrap();
        assert_eq!((c.username(), c.password()), ("é".repeat(100).as_str(), "pw"));
    }

    /// The decoder agrees with `is_token68` + the `base64` crate's strict `STANDARD` engine on
    /// every verdict and every decoded byte, non-canonical trailing bits included.
    #[test]
    fn decoder_matches_the_base64_crate() {
        use base64::Engine;
        use base64::engine::general_purpose::STANDARD;
        let reference = |token: &[u8]| -> Option<Vec<u8>> {
            if !crate::header::is_token68(token) {
                return None;
            }
            STANDARD.decode(token).ok()
        };
        let ours = |token: &[u8]| -> Option<Vec<u8>> {
            let mut out = vec![0u8; token.len()];
            crate::header::is_token68(token)
                .then(|| Base64::decode(token, &mut out).ok().map(<[u8]>::to_vec))
                .flatten()
        };
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-._~ !:\x00\x7f\xff";
        for round in 0..60_000 {
            let token: Vec<u8> = if round % 2 == 0 {
                let raw: Vec<u8> = (0..next() % 40).map(|_| next() as u8).collect();
                let mut t = STANDARD.encode(&raw).into_bytes();
                if round % 4 == 0 && !t.is_empty() {
                    let i = (next() as usize) % t.len();
                    t[i] = alphabet[(next() as usize) % alphabet.len()];
                }
                t
            } else {
                (0..next() % 12)
                    .map(|_| alphabet[(next() as usize) % alphabet.len()])
                    .collect()
            };
            assert_eq!(
                ours(&token),
                reference(&token),
                "token {:?}",
                String::from_utf8_lossy(&token)
            );
        }
        for t in [
            &b"QQ=="[..],
            b"QR==",
            b"QUI=",
            b"QUJ=",
            b"QUJD",
            b"Q===",
            b"QUJDRA=",
            b"=",
            b"",
            b"QQ",
            b"QQ=",
            b"QQ===",
        ] {
            assert_eq!(ours(t), reference(t), "token {:?}", String::from_utf8_lossy(t));
        }
    }

    #[test]
    fn debug_hides_password() {
        let s = format!("{:?}", BasicCredentials::new("john", "hunter2"));
        assert!(s.contains("john") && !s.contains("hunter2"));
    }

    /// Property tests of the decoder (from `tests/properties.rs`, here since `decode` is
    /// crate-private): what `to_header_value` writes, `decode` reads back unchanged.
    mod properties {
        use base64::Engine;
        use base64::engine::general_purpose::STANDARD;
        use proptest::prelude::*;

        use super::BasicCredentials;
        use crate::header::{is_token68, split_scheme};

        /// Text a quoted-string can carry (as in `tests/properties.rs`): anything but control
        /// characters (HTAB allowed), with the characters that need escaping over-represented.
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

        proptest! {
            #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn basic_credentials_round_trip(
            user in quotable().prop_map(|s| s.replace([':', '\t'], "")),
            password in quotable().prop_map(|s| s.replace('\t', "")),
        ) {
            let c = BasicCredentials::new(&user, &password);
            let header = c.to_header_value();
            let (scheme, token) = split_scheme(header.as_bytes()).unwrap();
            prop_assert_eq!(scheme, "Basic");
            prop_assert!(is_token68(token));
            let d = BasicCredentials::decode(token).unwrap();
            prop_assert_eq!(d.username(), user.as_str());
            prop_assert_eq!(d.password(), password.as_str());
            // Unpadded base64 is refused whenever padding was needed.
            let unpadded = std::str::from_utf8(token).unwrap().trim_end_matches('=');
            if unpadded.len() != token.len() {
                prop_assert!(BasicCredentials::decode(unpadded.as_bytes()).is_err());
            }
        }

        #[test]
        fn base64_of_any_bytes_decodes_as_utf8_or_latin1(user in prop::collection::vec(0x20u8..=0xff, 0..24), password in prop::collection::vec(0x20u8..=0xff, 0..24)) {
            let user: Vec<u8> = user.into_iter().filter(|&b| b != b':' && b != 0x7f).collect();
            let password: Vec<u8> = password.into_iter().filter(|&b| b != 0x7f).collect();
            let mut raw = user.clone();
            raw.push(b':');
            raw.extend_from_slice(&password);
            let token = STANDARD.encode(&raw);
            let c = BasicCredentials::decode(token.as_bytes()).unwrap();
            let (u, p) = match (std::str::from_utf8(&raw), std::str::from_utf8(&user)) {
                (Ok(_), Ok(u)) => (u.to_owned(), String::from_utf8(password.clone()).unwrap()),
                _ => (user.iter().map(|&b| char::from(b)).collect(), password.iter().map(|&b| char::from(b)).collect()),
            };
            prop_assert_eq!(c.username(), u.as_str());
            prop_assert_eq!(c.password(), p.as_str());
        }

        #[test]
        fn basic_decode_never_panics(token in "[ -~]{0,80}") {
            let _ = BasicCredentials::decode(token.as_bytes());
        }
        }
    }
}
