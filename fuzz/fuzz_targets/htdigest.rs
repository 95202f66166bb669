//! `Htdigest::parse` on arbitrary bytes: no panic, bounded, and every H(A1) 32 hex digits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tower_httpauth::store::Htdigest;

fuzz_target!(|data: &[u8]| {
    let Ok(file) = Htdigest::parse(data) else { return };
    let lines = data.split(|&b| b == b'\n').count();
    assert!(file.len() <= lines);
    if let Some(line) = data.split(|&b| b == b'\n').next()
        && let Ok(line) = std::str::from_utf8(line)
        && !line.trim_start().starts_with('#')
        && let [user, realm, _] = line.trim_end_matches('\r').splitn(3, ':').collect::<Vec<_>>()[..]
    {
        let hex = file.ha1_hex(user, realm).expect("the first line's entry is listed");
        assert_eq!(hex.len(), 32);
        assert!(hex.bytes().all(|b| b.is_ascii_hexdigit()));
    }
});
