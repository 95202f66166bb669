//! Hex digests on the stack, encoded and decoded with `base16ct` (RustCrypto), which has no
//! branch or table lookup that depends on the digits: a stored H(A1) is password-equivalent,
//! so reading it must not leak it through timing.

use std::fmt;

/// The longest hex digest (SHA-256 and SHA-512/256: 64 characters).
pub(crate) const MAX_HEX_LEN: usize = 64;

/// A digest as raw bytes (16 for MD5, 32 for the others).
#[derive(Clone, Copy)]
pub(crate) struct RawDigest {
    buf: [u8; MAX_HEX_LEN / 2],
    len: u8,
}

impl RawDigest {
    /// Decodes exactly `hex_len` hex digits (either case); `None` for another length or a
    /// non-hex character.
    pub(crate) fn from_hex(s: &str, hex_len: usize) -> Option<Self> {
        if s.len() != hex_len || hex_len > MAX_HEX_LEN {
            return None;
        }
        let mut buf = [0u8; MAX_HEX_LEN / 2];
        let len = base16ct::mixed::decode(s, &mut buf).ok()?.len();
        Some(RawDigest { buf, len: len as u8 })
    }

    /// Wraps a digest a hash function returned (at most 32 bytes; longer input is cut).
    pub(crate) fn from_bytes(bytes: &[u8]) -> Self {
        let mut buf = [0u8; MAX_HEX_LEN / 2];
        let len = bytes.len().min(buf.len());
        buf[..len].copy_from_slice(&bytes[..len]);
        RawDigest { buf, len: len as u8 }
    }

    /// The bytes.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.buf[..usize::from(self.len)]
    }
}

/// A lowercase hex digest (32 characters for MD5, 64 for the others), the form Digest's
/// formulas hash (RFC 7616 §3.2).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Hex {
    buf: [u8; MAX_HEX_LEN],
    len: u8,
}

impl Hex {
    /// Lowercase hex of `bytes` (at most 32 bytes; longer input is cut).
    pub(crate) fn encode(bytes: &[u8]) -> Self {
        let mut buf = [0u8; MAX_HEX_LEN];
        let bytes = &bytes[..bytes.len().min(MAX_HEX_LEN / 2)];
        // The buffer holds twice the input, so this cannot fail.
        let len = base16ct::lower::encode(bytes, &mut buf).map_or(0, <[u8]>::len);
        Hex { buf, len: len as u8 }
    }

    /// Reads a hex digest of exactly `len` characters, of either case, lowercased. `None` if
    /// `s` has another length or a non-hex character.
    pub(crate) fn parse(s: &str, len: usize) -> Option<Self> {
        RawDigest::from_hex(s, len).map(|raw| Hex::encode(raw.as_bytes()))
    }

    /// The digest as text.
    pub(crate) fn as_str(&self) -> &str {
        // Only ASCII hex digits are ever written.
        std::str::from_utf8(self.as_bytes()).unwrap_or("")
    }

    /// The digest as bytes.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.buf[..usize::from(self.len)]
    }
}

impl fmt::Debug for Hex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A hex digest may be an H(A1), which is password-equivalent: print only its size.
        write!(f, "Hex(<{} chars>)", self.len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_agrees_with_the_obvious_definitions() {
        assert!(Hex::parse("ABCDEF", 6).is_some_and(|h| h.as_str() == "abcdef"));
        assert!(Hex::parse("abcdeg", 6).is_none());
        assert!(Hex::parse("abc", 6).is_none());
        assert!(Hex::parse("09afAF", 6).is_some_and(|h| h.as_str() == "09afaf"));
        let raw = RawDigest::from_hex("09afAF10", 8).unwrap();
        assert_eq!(raw.as_bytes(), [0x09, 0xaf, 0xaf, 0x10]);
        for bad in [
            "0a:b1200",
            "0a/b1200",
            "0a@b1200",
            "0aGb1200",
            "0a`b1200",
            "0agb1200",
            "\u{0}0abcde0",
            "0abc",
            "0abcdef01",
        ] {
            assert!(RawDigest::from_hex(bad, 8).is_none(), "{bad}");
        }
        for bad in ["0a:b12", "0a/b12", "0a@b12", "0aGb12", "0a`b12", "0agb12", "\0abcde"] {
            assert!(Hex::parse(bad, 6).is_none(), "{bad}");
        }
        assert!(!format!("{:?}", Hex::encode(b"secret")).contains("736563"));
        // Every byte, in every position, against the obvious definitions.
        for c in 0..=255u8 {
            let value = (c as char).to_digit(16);
            for at in 0..8 {
                let mut s = *b"0a1B2c3D";
                s[at] = c;
                let text = std::str::from_utf8(&s).ok();
                let want_hex = value.map(|_| String::from_utf8_lossy(&s).to_ascii_lowercase());
                if let Some(t) = text {
                    assert_eq!(
                        Hex::parse(t, 8).map(|h| h.as_str().to_owned()),
                        want_hex,
                        "{c:#x} at {at}"
                    );
                    let want_raw = value.map(|_| {
                        (0..4)
                            .map(|i| u8::from_str_radix(&want_hex.as_ref().unwrap()[2 * i..2 * i + 2], 16).unwrap())
                            .collect::<Vec<_>>()
                    });
                    assert_eq!(
                        RawDigest::from_hex(t, 8).map(|r| r.as_bytes().to_vec()),
                        want_raw,
                        "{c:#x} at {at}"
                    );
                }
            }
        }
        let all: Vec<u8> = (0..=255u8).collect();
        for chunk in all.chunks(32) {
            let want: String = chunk.iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(Hex::encode(chunk).as_str(), want);
        }
    }
}
