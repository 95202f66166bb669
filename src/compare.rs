//! Constant-time comparison of secrets.

use std::hint::black_box;

/// Compares two secrets without leaking, through timing, where they differ.
///
/// The running time depends only on the lengths of the inputs, never on their contents.
/// When the lengths differ the result is `false`, after a comparison of the same cost as
/// an equal-length one, so that a wrong-length guess looks like any other wrong guess.
///
/// Every byte is always read: the bytes are XORed eight at a time into an accumulator that
/// is passed through [`black_box`] after every word, so the optimiser can neither stop
/// early nor branch on the data; the result is read from the accumulator without a branch.
/// This is about as fast as `==` and much faster than `subtle`'s byte-wise `ct_eq`
/// (see `BENCHMARKS.md`).
///
/// ```
/// use tower_httpauth::constant_time_eq;
/// assert!(constant_time_eq(b"open sesame", b"open sesame"));
/// assert!(!constant_time_eq(b"open sesame", b"open sesamf"));
/// assert!(!constant_time_eq(b"open", b"open sesame"));
/// ```
#[inline(never)]
pub fn constant_time_eq(presented: &[u8], expected: &[u8]) -> bool {
    let same_len = presented.len() == expected.len();
    // The lengths are not secret. On a mismatch, compare `presented` with itself: the same
    // work as an equal-length comparison, then `false`.
    let other = if same_len { expected } else { presented };
    let diff = xor_fold(presented, other);
    same_len & is_zero(diff)
}

/// The OR of `a[i] ^ b[i]` over all bytes, folded into a word; zero iff `a == b`.
/// `a` and `b` have the same length.
#[inline(never)]
fn xor_fold(a: &[u8], b: &[u8]) -> u64 {
    let (a_words, a_tail) = a.as_chunks::<8>();
    let (b_words, b_tail) = b.as_chunks::<8>();
    let mut acc = 0u64;
    for (x, y) in a_words.iter().zip(b_words) {
        acc = black_box(acc | (u64::from_ne_bytes(*x) ^ u64::from_ne_bytes(*y)));
    }
    for (x, y) in a_tail.iter().zip(b_tail) {
        acc |= u64::from(x ^ y);
    }
    black_box(acc)
}

/// `x == 0`, computed without a branch.
#[inline(always)]
fn is_zero(x: u64) -> bool {
    // The top bit of `x | -x` is set iff `x != 0`.
    ((x | x.wrapping_neg()) >> 63) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_and_unequal_at_every_position_and_length() {
        for len in 0..70usize {
            let a: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
            assert!(constant_time_eq(&a, &a.clone()), "len {len}");
            for i in 0..len {
                for bit in [0x01u8, 0x80] {
                    let mut b = a.clone();
                    b[i] ^= bit;
                    assert!(!constant_time_eq(&a, &b), "len {len}, byte {i}, bit {bit:#x}");
                    assert!(!constant_time_eq(&b, &a), "len {len}, byte {i}, bit {bit:#x}");
                }
            }
            let mut longer = a.clone();
            longer.push(0);
            assert!(!constant_time_eq(&a, &longer));
            assert!(!constant_time_eq(&longer, &a));
        }
    }

    #[test]
    fn is_zero_is_exact() {
        for x in [0u64, 1, 2, 0x80, u64::MAX, 1 << 63, (1 << 63) + 1, 0x0100_0000_0000] {
            assert_eq!(is_zero(x), x == 0, "{x:#x}");
        }
    }
}
