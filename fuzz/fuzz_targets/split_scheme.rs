//! `split_scheme` and `is_token68` on arbitrary bytes, checked against a plain reference
//! implementation of the RFC 9110 grammar.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tower_httpauth::header::{is_token68, split_scheme};

fn tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn token68_reference(s: &[u8]) -> bool {
    let body = s
        .iter()
        .take_while(|&&b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
        .count();
    body > 0 && s[body..].iter().all(|&b| b == b'=')
}

fuzz_target!(|data: &[u8]| {
    assert_eq!(is_token68(data), token68_reference(data));
    match split_scheme(data) {
        Some((scheme, rest)) => {
            assert!(!scheme.is_empty() && scheme.bytes().all(tchar));
            assert!(data.starts_with(scheme.as_bytes()));
            assert!(scheme.len() + rest.len() <= data.len());
            assert!(!rest.starts_with(b" ") && !rest.starts_with(b"\t"));
            assert!(!rest.ends_with(b" ") && !rest.ends_with(b"\t"));
            let after = &data[scheme.len()..];
            assert!(after.is_empty() || after[0] == b' ');
        }
        None => {
            let end = data.iter().take_while(|&&b| tchar(b)).count();
            assert!(end == 0 || (end < data.len() && data[end] != b' '));
        }
    }
});
