//! [`Claims`]: what a signed token says, and its binary encoding (the token's payload).

use std::fmt;

use super::TokenError;

/// The payload's version byte.
const VERSION: u8 = 1;

/// What a signed token says: subject, times, id and string claims. The user of requests
/// authenticated by [`SignedTokens`](super::SignedTokens).
#[derive(Clone, PartialEq, Eq)]
pub struct Claims {
    pub(super) subject: String,
    pub(super) issued_at: u64,
    pub(super) expires_at: u64,
    pub(super) id: [u8; 16],
    pub(super) extra: Vec<(String, String)>,
}

impl fmt::Debug for Claims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Claims")
            .field("subject", &self.subject)
            .field("issued_at", &self.issued_at)
            .field("expires_at", &self.expires_at)
            .field("id", &self.id())
            .field("extra", &self.extra)
            .finish()
    }
}

impl Claims {
    /// Who the token was issued to.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// When it was issued, in seconds since the Unix epoch.
    pub fn issued_at(&self) -> u64 {
        self.issued_at
    }

    /// When it expires, in seconds since the Unix epoch.
    pub fn expires_at(&self) -> u64 {
        self.expires_at
    }

    /// The token's unique id (32 hex digits), for revocation lists.
    pub fn id(&self) -> String {
        self.id.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The value of claim `name`, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.extra.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The extra claims, in the order they were issued.
    pub fn extra(&self) -> impl Iterator<Item = (&str, &str)> {
        self.extra.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The space-separated words of claim `name` (e.g. `roles` = `"admin editor"`), for a
    /// roles hook: `layer.roles_from(|c: &Claims| c.words("roles"))`.
    pub fn words(&self, name: &str) -> Vec<String> {
        self.get(name)
            .map(|v| v.split(' ').filter(|w| !w.is_empty()).map(str::to_owned).collect())
            .unwrap_or_default()
    }

    /// The payload bytes (see [`SignedTokens`](super::SignedTokens#format-frozen)).
    pub(super) fn encode(&self) -> Result<Vec<u8>, TokenError> {
        if self.subject.len() > 1024
            || self.extra.len() > 32
            || self.extra.iter().any(|(k, v)| k.len() > 64 || v.len() > 1024)
        {
            return Err(TokenError::TooLarge);
        }
        let mut out = Vec::with_capacity(64 + self.subject.len());
        out.push(VERSION);
        out.extend_from_slice(&self.issued_at.to_be_bytes());
        out.extend_from_slice(&self.expires_at.to_be_bytes());
        out.extend_from_slice(&self.id);
        // The lengths fit: checked above.
        out.extend_from_slice(&(self.subject.len() as u16).to_be_bytes());
        out.extend_from_slice(self.subject.as_bytes());
        out.push(self.extra.len() as u8);
        for (k, v) in &self.extra {
            out.push(k.len() as u8);
            out.extend_from_slice(k.as_bytes());
            out.extend_from_slice(&(v.len() as u16).to_be_bytes());
            out.extend_from_slice(v.as_bytes());
        }
        Ok(out)
    }

    /// Reads payload bytes; anything but exactly one well-formed record is
    /// [`Malformed`](TokenError::Malformed).
    pub(super) fn decode(mut b: &[u8]) -> Result<Self, TokenError> {
        fn take<'a>(b: &mut &'a [u8], n: usize) -> Result<&'a [u8], TokenError> {
            if b.len() < n {
                return Err(TokenError::Malformed);
            }
            let (head, rest) = b.split_at(n);
            *b = rest;
            Ok(head)
        }
        fn string(b: &mut &[u8], n: usize) -> Result<String, TokenError> {
            String::from_utf8(take(b, n)?.to_vec()).map_err(|_| TokenError::Malformed)
        }
        fn u16_at(b: &mut &[u8]) -> Result<usize, TokenError> {
            let s = take(b, 2)?;
            Ok(usize::from(u16::from_be_bytes([s[0], s[1]])))
        }
        fn u64_at(b: &mut &[u8]) -> Result<u64, TokenError> {
            let s = take(b, 8)?;
            let mut a = [0u8; 8];
            a.copy_from_slice(s);
            Ok(u64::from_be_bytes(a))
        }
        if take(&mut b, 1)? != [VERSION] {
            return Err(TokenError::Malformed);
        }
        let issued_at = u64_at(&mut b)?;
        let expires_at = u64_at(&mut b)?;
        let mut id = [0u8; 16];
        id.copy_from_slice(take(&mut b, 16)?);
        let n = u16_at(&mut b)?;
        let subject = string(&mut b, n)?;
        let count = usize::from(take(&mut b, 1)?[0]);
        let mut extra = Vec::with_capacity(count.min(32));
        for _ in 0..count {
            let kl = usize::from(take(&mut b, 1)?[0]);
            let k = string(&mut b, kl)?;
            let vl = u16_at(&mut b)?;
            let v = string(&mut b, vl)?;
            extra.push((k, v));
        }
        if !b.is_empty() {
            return Err(TokenError::Malformed);
        }
        Ok(Claims {
            subject,
            issued_at,
            expires_at,
            id,
            extra,
        })
    }
}
