//! Structured: a challenge built from arbitrary names and values either refuses to render or
//! parses back to exactly what was written (parse(render(x)) == x).
#![no_main]

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use tower_httpauth::header::{AuthParams, Challenge, split_scheme};

/// The most parameters `AuthParams::parse` accepts (its documentation says 32).
const MAX_PARAMS: usize = 32;

#[derive(Debug, Arbitrary)]
struct Input {
    scheme: String,
    params: Vec<(String, String, bool)>,
}

fuzz_target!(|input: Input| {
    let mut c = Challenge::new(&input.scheme);
    for (name, value, quoted) in &input.params {
        c = if *quoted {
            c.quoted(name, value)
        } else {
            c.token(name, value)
        };
    }
    let Some(value) = c.to_header_value() else { return };
    let (scheme, rest) = split_scheme(value.as_bytes()).expect("a rendered challenge splits");
    assert_eq!(scheme, input.scheme);
    let lowered: Vec<String> = input.params.iter().map(|(n, _, _)| n.to_ascii_lowercase()).collect();
    let unique = lowered.iter().enumerate().all(|(i, n)| !lowered[..i].contains(n));
    match AuthParams::parse(rest) {
        Ok(parsed) => {
            assert!(unique && input.params.len() <= MAX_PARAMS);
            assert_eq!(parsed.len(), input.params.len());
            for ((name, value, quoted), (pn, pv)) in input.params.iter().zip(parsed.iter()) {
                assert_eq!(name, pn);
                assert_eq!(value, pv);
                assert_eq!(Some(*quoted), parsed.was_quoted(pn));
            }
        }
        Err(_) => assert!(!unique || input.params.len() > MAX_PARAMS, "{value:?} did not parse"),
    }
});
