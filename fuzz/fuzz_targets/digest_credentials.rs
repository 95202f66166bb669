//! `DigestCredentials::parse` on arbitrary bytes: no panic, every value within the
//! parameter bound, `nc` consistent with its text, and `into_owned` the same credentials.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tower_httpauth::digest::{DigestCredentials, MAX_PARAM_LEN};

fuzz_target!(|data: &[u8]| {
    let Ok(c) = DigestCredentials::parse(data) else { return };
    for v in [c.username(), c.realm(), c.nonce(), c.uri(), c.response()] {
        assert!(
            v.len() <= MAX_PARAM_LEN && v.len() <= data.len(),
            "value longer than allowed"
        );
    }
    match (c.nc(), c.nc_str()) {
        (Some(n), Some(s)) => {
            assert_eq!(s.len(), 8, "nc is 8 hex digits");
            assert_eq!(u32::from_str_radix(s, 16).ok(), Some(n));
        }
        (None, None) => {}
        (n, s) => panic!("nc {n:?} disagrees with its text {s:?}"),
    }
    if c.userhash() {
        assert!(!c.is_username_star(), "userhash with username* is refused");
    }
    let debug = format!("{c:?}");
    let owned = c.clone().into_owned();
    assert_eq!(format!("{owned:?}"), debug);
    assert_eq!(owned.username(), c.username());
    assert_eq!(owned.nc(), c.nc());
});
