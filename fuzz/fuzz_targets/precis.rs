//! `precis::username` and `precis::password` (RFC 8265) on arbitrary text, read as UTF-8 and
//! as ISO-8859-1 (what Basic hands them): no panic, never an empty or (user-id) colon-holding
//! result, bounded growth, and enforcement is idempotent: an enforced form comes back as it
//! is, borrowed.
#![no_main]

use std::borrow::Cow;

use libfuzzer_sys::fuzz_target;
use tower_httpauth::precis;

fn check(s: &str) {
    if let Ok(u) = precis::username(s) {
        assert!(!u.is_empty() && !u.contains(':'));
        // NFC and width mapping grow text by a small factor at most.
        assert!(u.len() <= s.len() * 4 + 4);
        assert!(
            matches!(precis::username(&u), Ok(Cow::Borrowed(again)) if again == u),
            "{s:?} -> {u:?}"
        );
    }
    if let Ok(p) = precis::password(s) {
        assert!(!p.is_empty());
        assert!(p.len() <= s.len() * 4 + 4);
        assert!(
            matches!(precis::password(&p), Ok(Cow::Borrowed(again)) if again == p),
            "{s:?} -> {p:?}"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        check(s);
    }
    let latin1: String = data.iter().copied().map(char::from).collect();
    check(&latin1);
});
