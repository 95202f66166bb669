//! Constant-time comparison of secrets.

/// Compares two secrets without leaking, through timing, where they differ.
///
/// The running time depends only on the lengths of the inputs, never on their contents.
/// When the lengths differ the result is `false`, after a comparison of the same cost as
/// an equal-length one, so that a wrong-length guess looks like any other wrong guess.
///
/// The comparison itself is the [`constant_time_eq`](https://docs.rs/constant_time_eq) crate's
/// (every byte read, a word at a time, behind an optimisation barrier); this function adds the
/// equal cost of a length mismatch. `benches/constant_time.rs` checks the timing with a
/// dudect-style test.
///
/// ```
/// use tower_httpauth::constant_time_eq;
/// assert!(constant_time_eq(b"open sesame", b"open sesame"));
/// assert!(!constant_time_eq(b"open sesame", b"open sesamf"));
/// assert!(!constant_time_eq(b"open", b"open sesame"));
/// ```
pub fn constant_time_eq(presented: &[u8], expected: &[u8]) -> bool {
    let same_len = presented.len() == expected.len();
    // The lengths are not secret. On a mismatch, compare `presented` with itself: the same
    // work as an equal-length comparison, then `false` (`&`, not `&&`: both sides always run).
    let other = if same_len { expected } else { presented };
    same_len & ct_eq::constant_time_eq(presented, other)
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
}
