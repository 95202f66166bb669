//! Constant-time comparison of secrets.

use subtle::ConstantTimeEq;

/// Compares two secrets without leaking, through timing, where they differ.
///
/// The running time depends only on the lengths of the inputs, never on their contents.
/// When the lengths differ the result is `false`, after a comparison of the same cost as
/// an equal-length one, so that a wrong-length guess looks like any other wrong guess.
///
/// ```
/// use tower_httpauth::constant_time_eq;
/// assert!(constant_time_eq(b"open sesame", b"open sesame"));
/// assert!(!constant_time_eq(b"open sesame", b"open sesamf"));
/// assert!(!constant_time_eq(b"open", b"open sesame"));
/// ```
pub fn constant_time_eq(presented: &[u8], expected: &[u8]) -> bool {
    if presented.len() == expected.len() {
        presented.ct_eq(expected).into()
    } else {
        // Same amount of work as an equal-length comparison, then false.
        let _ = bool::from(presented.ct_eq(presented));
        false
    }
}
