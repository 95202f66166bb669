//! `BasicCredentials::decode` on arbitrary bytes: no panic, the invariants RFC 7617 asks
//! for, and decode(encode(c)) == c for every credential that decodes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tower_httpauth::BasicCredentials;
use tower_httpauth::header::split_scheme;

fuzz_target!(|data: &[u8]| {
    let Ok(c) = BasicCredentials::decode(data) else { return };
    let (user, password) = (c.username(), c.password());
    assert!(!user.contains(':'), "split at the first colon");
    assert!(!user.chars().chain(password.chars()).any(|ch| ch.is_ascii_control()));
    // Decoded text is at most 3/4 of the token; Latin-1 may double each byte in UTF-8.
    assert!(user.len() + 1 + password.len() <= data.len() / 4 * 3 * 2 + 2);
    let value = c.to_header_value();
    let (scheme, token) = split_scheme(value.as_bytes()).expect("rendered header splits");
    assert_eq!(scheme, "Basic");
    let again = BasicCredentials::decode(token).expect("rendered credentials decode");
    assert_eq!(again, c);
    assert_eq!(BasicCredentials::new(user, password), c);
});
