//! APR1-MD5 (`$apr1$`), the Apache variant of FreeBSD's MD5-crypt: `htpasswd`'s default.
//!
//! Written here on `md-5` 0.11: the crates that implement it (`pwhash`, `md5-crypt`) pin
//! RustCrypto versions from 2020–2021. The algorithm is MD5-crypt (Poul-Henning Kamp) with
//! the magic `$apr1$`; it is small and its output is checked against the real `htpasswd`.

use md5::{Digest, Md5};

const ITOA64: &[u8; 64] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const MAGIC: &[u8] = b"$apr1$";

/// Splits `$apr1$salt$hash` into salt (at most 8 characters) and hash, if well formed.
pub(crate) fn parse(stored: &str) -> Option<(&str, &str)> {
    let rest = stored.strip_prefix("$apr1$")?;
    let (salt, hash) = rest.split_once('$')?;
    let ok = salt.len() <= 8
        && !salt.is_empty()
        && hash.len() == 22
        && hash.bytes().all(|b| ITOA64.contains(&b))
        && !salt.contains([':', '\n']);
    ok.then_some((salt, hash))
}

/// The full `$apr1$salt$hash` string for `password` and `salt`.
pub(crate) fn crypt(password: &[u8], salt: &[u8]) -> String {
    let salt = &salt[..salt.len().min(8)];
    let alt = {
        let mut h = Md5::new();
        h.update(password);
        h.update(salt);
        h.update(password);
        h.finalize()
    };
    let mut ctx = Md5::new();
    ctx.update(password);
    ctx.update(MAGIC);
    ctx.update(salt);
    let mut left = password.len();
    while left > 0 {
        let n = left.min(16);
        ctx.update(&alt[..n]);
        left -= n;
    }
    let mut i = password.len();
    while i != 0 {
        if i & 1 == 1 {
            ctx.update([0u8]);
        } else {
            ctx.update(&password[..1]);
        }
        i >>= 1;
    }
    let mut fin: [u8; 16] = ctx.finalize().into();
    for round in 0..1000 {
        let mut h = Md5::new();
        if round & 1 == 1 {
            h.update(password);
        } else {
            h.update(fin);
        }
        if round % 3 != 0 {
            h.update(salt);
        }
        if round % 7 != 0 {
            h.update(password);
        }
        if round & 1 == 1 {
            h.update(fin);
        } else {
            h.update(password);
        }
        fin = h.finalize().into();
    }
    let mut out = String::with_capacity(6 + salt.len() + 1 + 22);
    out.push_str("$apr1$");
    out.extend(salt.iter().map(|&b| b as char));
    out.push('$');
    let mut put = |v: u32, n: usize| {
        let mut v = v;
        for _ in 0..n {
            out.push(ITOA64[(v & 0x3f) as usize] as char);
            v >>= 6;
        }
    };
    let b = |i: usize| u32::from(fin[i]);
    put((b(0) << 16) | (b(6) << 8) | b(12), 4);
    put((b(1) << 16) | (b(7) << 8) | b(13), 4);
    put((b(2) << 16) | (b(8) << 8) | b(14), 4);
    put((b(3) << 16) | (b(9) << 8) | b(15), 4);
    put((b(4) << 16) | (b(10) << 8) | b(5), 4);
    put(b(11), 2);
    out
}

/// Whether `password` matches the `$apr1$` string `stored` (constant-time comparison).
pub(crate) fn verify(password: &[u8], stored: &str) -> bool {
    match parse(stored) {
        Some((salt, _)) => crate::constant_time_eq(crypt(password, salt.as_bytes()).as_bytes(), stored.as_bytes()),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn standards_vector() {
        // STANDARDS.md: `htpasswd -nbm Mufasa 'Circle of Life'`.
        let stored = "$apr1$SFEr/xiz$uDWk3HJkJ9aVYpKvfyXiq.";
        assert!(super::verify(b"Circle of Life", stored));
        assert!(!super::verify(b"Circle Of Life", stored));
        assert!(!super::verify(b"", stored));
    }

    #[test]
    fn malformed_is_false() {
        assert!(!super::verify(b"x", "$apr1$"));
        assert!(!super::verify(b"x", "$apr1$salt$short"));
        assert!(super::parse("$apr1$toolongsalt$uDWk3HJkJ9aVYpKvfyXiq.").is_none());
    }
}
