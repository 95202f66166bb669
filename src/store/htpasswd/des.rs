//! Traditional DES `crypt(3)` (`htpasswd -d`): 2 salt characters and 11 hash characters.
//!
//! No maintained pure-Rust crate offers it (`pwhash` 1.0 pins RustCrypto crates of 2020 and
//! the `des` crate has no salt-perturbed expansion), so it is written here, bit by bit after
//! the Seventh Edition Unix `crypt.c`: slow (about 25 × 16 rounds over bit arrays) but small,
//! and checked against the real `htpasswd`. It is a **weak** format: only the first 8 bytes of
//! the password count and the key space is 56 bits.

const IP: [u8; 64] = [
    58, 50, 42, 34, 26, 18, 10, 2, 60, 52, 44, 36, 28, 20, 12, 4, 62, 54, 46, 38, 30, 22, 14, 6, 64, 56, 48, 40, 32,
    24, 16, 8, 57, 49, 41, 33, 25, 17, 9, 1, 59, 51, 43, 35, 27, 19, 11, 3, 61, 53, 45, 37, 29, 21, 13, 5, 63, 55, 47,
    39, 31, 23, 15, 7,
];
const FP: [u8; 64] = [
    40, 8, 48, 16, 56, 24, 64, 32, 39, 7, 47, 15, 55, 23, 63, 31, 38, 6, 46, 14, 54, 22, 62, 30, 37, 5, 45, 13, 53, 21,
    61, 29, 36, 4, 44, 12, 52, 20, 60, 28, 35, 3, 43, 11, 51, 19, 59, 27, 34, 2, 42, 10, 50, 18, 58, 26, 33, 1, 41, 9,
    49, 17, 57, 25,
];
const PC1: [u8; 56] = [
    57, 49, 41, 33, 25, 17, 9, 1, 58, 50, 42, 34, 26, 18, 10, 2, 59, 51, 43, 35, 27, 19, 11, 3, 60, 52, 44, 36, 63, 55,
    47, 39, 31, 23, 15, 7, 62, 54, 46, 38, 30, 22, 14, 6, 61, 53, 45, 37, 29, 21, 13, 5, 28, 20, 12, 4,
];
const PC2: [u8; 48] = [
    14, 17, 11, 24, 1, 5, 3, 28, 15, 6, 21, 10, 23, 19, 12, 4, 26, 8, 16, 7, 27, 20, 13, 2, 41, 52, 31, 37, 47, 55, 30,
    40, 51, 45, 33, 48, 44, 49, 39, 56, 34, 53, 46, 42, 50, 36, 29, 32,
];
const SHIFTS: [u8; 16] = [1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1];
const E: [u8; 48] = [
    32, 1, 2, 3, 4, 5, 4, 5, 6, 7, 8, 9, 8, 9, 10, 11, 12, 13, 12, 13, 14, 15, 16, 17, 16, 17, 18, 19, 20, 21, 20, 21,
    22, 23, 24, 25, 24, 25, 26, 27, 28, 29, 28, 29, 30, 31, 32, 1,
];
const P: [u8; 32] = [
    16, 7, 20, 21, 29, 12, 28, 17, 1, 15, 23, 26, 5, 18, 31, 10, 2, 8, 24, 14, 32, 27, 3, 9, 19, 13, 30, 6, 22, 11, 4,
    25,
];
const S: [[u8; 64]; 8] = [
    [
        14, 4, 13, 1, 2, 15, 11, 8, 3, 10, 6, 12, 5, 9, 0, 7, 0, 15, 7, 4, 14, 2, 13, 1, 10, 6, 12, 11, 9, 5, 3, 8, 4,
        1, 14, 8, 13, 6, 2, 11, 15, 12, 9, 7, 3, 10, 5, 0, 15, 12, 8, 2, 4, 9, 1, 7, 5, 11, 3, 14, 10, 0, 6, 13,
    ],
    [
        15, 1, 8, 14, 6, 11, 3, 4, 9, 7, 2, 13, 12, 0, 5, 10, 3, 13, 4, 7, 15, 2, 8, 14, 12, 0, 1, 10, 6, 9, 11, 5, 0,
        14, 7, 11, 10, 4, 13, 1, 5, 8, 12, 6, 9, 3, 2, 15, 13, 8, 10, 1, 3, 15, 4, 2, 11, 6, 7, 12, 0, 5, 14, 9,
    ],
    [
        10, 0, 9, 14, 6, 3, 15, 5, 1, 13, 12, 7, 11, 4, 2, 8, 13, 7, 0, 9, 3, 4, 6, 10, 2, 8, 5, 14, 12, 11, 15, 1, 13,
        6, 4, 9, 8, 15, 3, 0, 11, 1, 2, 12, 5, 10, 14, 7, 1, 10, 13, 0, 6, 9, 8, 7, 4, 15, 14, 3, 11, 5, 2, 12,
    ],
    [
        7, 13, 14, 3, 0, 6, 9, 10, 1, 2, 8, 5, 11, 12, 4, 15, 13, 8, 11, 5, 6, 15, 0, 3, 4, 7, 2, 12, 1, 10, 14, 9, 10,
        6, 9, 0, 12, 11, 7, 13, 15, 1, 3, 14, 5, 2, 8, 4, 3, 15, 0, 6, 10, 1, 13, 8, 9, 4, 5, 11, 12, 7, 2, 14,
    ],
    [
        2, 12, 4, 1, 7, 10, 11, 6, 8, 5, 3, 15, 13, 0, 14, 9, 14, 11, 2, 12, 4, 7, 13, 1, 5, 0, 15, 10, 3, 9, 8, 6, 4,
        2, 1, 11, 10, 13, 7, 8, 15, 9, 12, 5, 6, 3, 0, 14, 11, 8, 12, 7, 1, 14, 2, 13, 6, 15, 0, 9, 10, 4, 5, 3,
    ],
    [
        12, 1, 10, 15, 9, 2, 6, 8, 0, 13, 3, 4, 14, 7, 5, 11, 10, 15, 4, 2, 7, 12, 9, 5, 6, 1, 13, 14, 0, 11, 3, 8, 9,
        14, 15, 5, 2, 8, 12, 3, 7, 0, 4, 10, 1, 13, 11, 6, 4, 3, 2, 12, 9, 5, 15, 10, 11, 14, 1, 7, 6, 0, 8, 13,
    ],
    [
        4, 11, 2, 14, 15, 0, 8, 13, 3, 12, 9, 7, 5, 10, 6, 1, 13, 0, 11, 7, 4, 9, 1, 10, 14, 3, 5, 12, 2, 15, 8, 6, 1,
        4, 11, 13, 12, 3, 7, 14, 10, 15, 6, 8, 0, 5, 9, 2, 6, 11, 13, 8, 1, 4, 10, 7, 9, 5, 0, 15, 14, 2, 3, 12,
    ],
    [
        13, 2, 8, 4, 6, 15, 11, 1, 10, 9, 3, 14, 5, 0, 12, 7, 1, 15, 13, 8, 10, 3, 7, 4, 12, 5, 6, 11, 0, 14, 9, 2, 7,
        11, 4, 1, 9, 12, 14, 2, 0, 6, 10, 13, 15, 3, 5, 8, 2, 1, 14, 7, 4, 10, 8, 13, 15, 12, 9, 0, 3, 5, 6, 11,
    ],
];

const CRYPT64: &[u8; 64] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn value64(c: u8) -> Option<usize> {
    CRYPT64.iter().position(|&x| x == c)
}

/// `crypt(password, salt)` for a 2-character salt from `./0-9A-Za-z`; `None` for another salt.
pub(crate) fn crypt(password: &[u8], salt: &[u8]) -> Option<String> {
    let [s0, s1] = salt else { return None };
    let salt_values = [value64(*s0)?, value64(*s1)?];

    // The key: 7 bits of each of the first 8 bytes (the eighth, parity, bit stays 0).
    let mut key = [0u8; 64];
    for (i, &c) in password.iter().take(8).enumerate() {
        for j in 0..7 {
            key[8 * i + j] = (c >> (6 - j)) & 1;
        }
    }
    let mut cd = [0u8; 56];
    for (i, &p) in PC1.iter().enumerate() {
        cd[i] = key[usize::from(p) - 1];
    }
    let mut ks = [[0u8; 48]; 16];
    for (round, &shift) in SHIFTS.iter().enumerate() {
        for _ in 0..shift {
            cd[..28].rotate_left(1);
            cd[28..].rotate_left(1);
        }
        for (j, &p) in PC2.iter().enumerate() {
            ks[round][j] = cd[usize::from(p) - 1];
        }
    }

    // The salt swaps expansion outputs i and i + 24.
    let mut e = E;
    for (i, &v) in salt_values.iter().enumerate() {
        for j in 0..6 {
            if (v >> j) & 1 == 1 {
                e.swap(6 * i + j, 6 * i + j + 24);
            }
        }
    }

    let mut block = [0u8; 66];
    for _ in 0..25 {
        encrypt(&mut block, &ks, &e);
    }

    let mut out = String::with_capacity(13);
    out.push(char::from(*s0));
    out.push(char::from(*s1));
    for i in 0..11 {
        let mut c = 0usize;
        for j in 0..6 {
            c = (c << 1) | usize::from(block[6 * i + j]);
        }
        out.push(char::from(CRYPT64[c]));
    }
    Some(out)
}

fn encrypt(block: &mut [u8; 66], ks: &[[u8; 48]; 16], e: &[u8; 48]) {
    let mut lr = [0u8; 64];
    for (i, &p) in IP.iter().enumerate() {
        lr[i] = block[usize::from(p) - 1];
    }
    for round_key in ks {
        let (l, r) = lr.split_at_mut(32);
        let mut pre = [0u8; 48];
        for j in 0..48 {
            pre[j] = r[usize::from(e[j]) - 1] ^ round_key[j];
        }
        let mut f = [0u8; 32];
        for (j, sbox) in S.iter().enumerate() {
            let t = 6 * j;
            let idx = (usize::from(pre[t]) << 5)
                | (usize::from(pre[t + 1]) << 3)
                | (usize::from(pre[t + 2]) << 2)
                | (usize::from(pre[t + 3]) << 1)
                | usize::from(pre[t + 4])
                | (usize::from(pre[t + 5]) << 4);
            let k = sbox[idx];
            for b in 0..4 {
                f[4 * j + b] = (k >> (3 - b)) & 1;
            }
        }
        let old_r: [u8; 32] = r.try_into().expect("32 bits");
        for j in 0..32 {
            r[j] = l[j] ^ f[usize::from(P[j]) - 1];
        }
        l.copy_from_slice(&old_r);
    }
    // Undo the last swap, then the final permutation.
    let (l, r) = lr.split_at_mut(32);
    l.swap_with_slice(r);
    for (j, &p) in FP.iter().enumerate() {
        block[j] = lr[usize::from(p) - 1];
    }
}

/// Whether `password` matches the 13-character DES crypt string `stored`.
pub(crate) fn verify(password: &[u8], stored: &str) -> bool {
    let s = stored.as_bytes();
    if s.len() != 13 {
        return false;
    }
    match crypt(password, &s[..2]) {
        Some(computed) => crate::constant_time_eq(computed.as_bytes(), s),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn standards_vector() {
        // STANDARDS.md: `htpasswd -nbd Mufasa 'Circle of Life'` (only "Circle o" counts).
        assert!(super::verify(b"Circle of Life", "OWRgIIQdIJTko"));
        assert!(super::verify(b"Circle o", "OWRgIIQdIJTko"));
        assert!(!super::verify(b"Circle O", "OWRgIIQdIJTko"));
    }

    #[test]
    fn known_answers() {
        // Classic crypt(3) test values (glibc / FreeSec).
        assert_eq!(super::crypt(b"", b"..").as_deref(), Some("..X8NBuQ4l6uQ"));
        assert_eq!(super::crypt(b"test", b"aa").as_deref(), Some("aaqPiZY5xR5l."));
        assert_eq!(super::crypt(b"x", b"!a"), None);
    }
}
