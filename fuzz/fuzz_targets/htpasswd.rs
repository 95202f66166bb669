//! `Htpasswd::parse` on arbitrary bytes: no panic, bounded, and every listed user findable.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tower_httpauth::store::Htpasswd;

fuzz_target!(|data: &[u8]| {
    let Ok(users) = Htpasswd::parse(data) else { return };
    let lines = data.split(|&b| b == b'\n').count();
    assert!(users.len() <= lines);
    // The first line's user, if it is an entry, is listed.
    if let Some(line) = data.split(|&b| b == b'\n').next()
        && let Ok(line) = std::str::from_utf8(line)
        && let Some((user, _)) = line.trim_end_matches('\r').split_once(':')
        && !line.trim_start().starts_with('#')
        && !line.trim().is_empty()
    {
        assert!(users.contains(user), "user {user:?} of the first line not found");
    }
});
