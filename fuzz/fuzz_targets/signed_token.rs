//! `SignedTokens::verify` on arbitrary strings: no panic, and nothing but a token the
//! fuzzer's key issued verifies (the seeds hold such tokens, already expired or not).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tower_httpauth::token::SignedTokens;

fn tokens() -> &'static SignedTokens {
    static T: OnceLock<SignedTokens> = OnceLock::new();
    T.get_or_init(|| {
        SignedTokens::new("k1", b"0123456789abcdef0123456789abcdef".to_vec())
            .accept("k0", b"fedcba9876543210fedcba9876543210".to_vec())
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(claims) = tokens().verify(s) {
        assert!(claims.subject().len() <= 1024);
        assert!(claims.extra().count() <= 32);
        assert!(claims.expires_at() >= claims.issued_at() || claims.expires_at() == 0);
        assert_eq!(claims.id().len(), 32);
    }
});
