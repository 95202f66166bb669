//! `AuthParams::parse` on arbitrary bytes: no panic, bounded output, and every parsed list
//! survives a render (through the `Challenge` writer) and a second parse unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tower_httpauth::header::{AuthParams, Challenge, split_scheme};

/// The most parameters `AuthParams::parse` accepts (its documentation says 32).
const MAX_PARAMS: usize = 32;

fuzz_target!(|data: &[u8]| {
    let Ok(params) = AuthParams::parse(data) else { return };
    assert!(params.len() <= MAX_PARAMS);
    let mut challenge = Challenge::new("X");
    for (name, value) in params.iter() {
        assert!(!name.is_empty() && name.len() <= data.len());
        assert!(value.len() <= data.len());
        // Every value came from a token or a quoted-string: it can be written back quoted
        // unless it holds a control character, which the parser refuses anyway.
        challenge = challenge.quoted(name, value);
        assert_eq!(params.get(name), Some(value), "lookup by name finds the first value");
    }
    if params.is_empty() {
        return;
    }
    let rendered = challenge.to_header_value().expect("parsed values render");
    let (scheme, rest) = split_scheme(rendered.as_bytes()).expect("rendered challenge splits");
    assert_eq!(scheme, "X");
    let again = AuthParams::parse(rest).expect("rendered challenge parses");
    assert_eq!(again.len(), params.len());
    for ((n1, v1), (n2, v2)) in params.iter().zip(again.iter()) {
        assert_eq!(n1, n2);
        assert_eq!(v1, v2);
    }
});
