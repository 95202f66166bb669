//! `Htdigest` on files written by the real `htdigest` (apache2-utils).
#![cfg(feature = "htdigest")]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use tower_httpauth::store::Htdigest;

use crate::fixtures::stores::{md5_hex, reload_by_hand};
use crate::support;
use crate::support::harness::{Case, HTDIGEST, cases};

/// `htdigest [-c] file realm user`, the password typed twice on stdin (it has no `-b`).
fn htdigest(create: bool, file: &Path, realm: &str, user: &str, password: &str) {
    let mut cmd = Command::new("timeout");
    cmd.arg("30").arg("htdigest");
    if create {
        cmd.arg("-c");
    }
    let mut child = cmd
        .arg(file)
        .arg(realm)
        .arg(user)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn htdigest");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{password}\n{password}\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "htdigest: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn reads_what_htdigest_writes() {
    let path = support::temp_file("htdigest", ".htdigest");
    htdigest(true, &path, "http-auth@example.org", "Mufasa", "Circle of Life");
    htdigest(false, &path, "http-auth@example.org", "Jäsøn Doe", "Secret, or not?");
    htdigest(false, &path, "other realm", "Mufasa", "another password");
    let file = Htdigest::open(&path).unwrap();
    assert_eq!(file.len(), 3);
    // RFC 7616 §3.9.1's MD5 HA1.
    assert_eq!(
        file.ha1_hex("Mufasa", "http-auth@example.org").as_deref(),
        Some("3d78807defe7de2157e2b0b6573a855f")
    );
    assert_eq!(
        file.ha1_hex("Jäsøn Doe", "http-auth@example.org"),
        Some(md5_hex("Jäsøn Doe:http-auth@example.org:Secret, or not?"))
    );
    assert_eq!(
        file.ha1_hex("Mufasa", "other realm"),
        Some(md5_hex("Mufasa:other realm:another password"))
    );
    let raw = file.ha1("Mufasa", "http-auth@example.org").unwrap();
    assert_eq!(raw[..4], [0x3d, 0x78, 0x80, 0x7d]);
    // The realm is part of the key; names are case-sensitive.
    assert_eq!(file.ha1("Mufasa", "HTTP-AUTH@EXAMPLE.ORG"), None);
    assert_eq!(file.ha1("mufasa", "http-auth@example.org"), None);
    assert_eq!(file.ha1("Nobody", "other realm"), None);
}

fn reloads_and_keeps_last_good_file() {
    let path = support::temp_file("htdigest", ".htdigest");
    htdigest(true, &path, "r", "alice", "one");
    let file = Htdigest::open_with(&path, reload_by_hand()).unwrap();
    assert_eq!(file.ha1_hex("alice", "r"), Some(md5_hex("alice:r:one")));

    htdigest(false, &path, "r", "bob", "two");
    let _ = file.reload();
    assert_eq!(file.ha1_hex("bob", "r"), Some(md5_hex("bob:r:two")));

    let good = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("# header\n{good}carol:r:nothex\n")).unwrap();
    let _ = file.reload();
    assert_eq!(file.ha1_hex("bob", "r"), Some(md5_hex("bob:r:two")), "last good kept");
    let err = file.last_error().unwrap();
    assert_eq!(err.malformed_lines()[0], 4);

    // `htdigest -c` does not truncate an existing file (apache2-utils 2.4.71): the old tail
    // would stay, so start from an empty file.
    std::fs::remove_file(&path).unwrap();
    htdigest(true, &path, "r", "carol", "three");
    let _ = file.reload();
    assert_eq!(file.ha1_hex("carol", "r"), Some(md5_hex("carol:r:three")));
    assert_eq!(file.ha1("alice", "r"), None);
    assert!(file.last_error().is_none());
}

pub(crate) const TESTS: &[Case] = cases![
    reads_what_htdigest_writes: [HTDIGEST],
    reloads_and_keeps_last_good_file: [HTDIGEST],
];
