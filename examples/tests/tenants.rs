//! The tenants example over TCP: the `Host` header picks whose users are checked.

use crate::example::tenants;
use crate::support;
use crate::support::harness::{CURL, Case, cases};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower_httpauth::BasicCredentials;

/// Sends `GET /whoami` with the `Host` field `host` and `user`'s credentials; returns the
/// status and the body.
async fn whoami(addr: std::net::SocketAddr, host: &str, user: (&str, &str)) -> (u16, String) {
    let auth = BasicCredentials::new(user.0, user.1).to_header_value();
    let request = format!(
        "GET /whoami HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nAuthorization: {}\r\n\r\n",
        auth.to_str().unwrap()
    );
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), s.read_to_end(&mut out)).await;
    let out = String::from_utf8_lossy(&out).into_owned();
    let status = out.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = out
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn each_host_has_its_own_users() {
    let addr = support::serve(tenants::app()).await;
    let alice = ("alice", "wonderland");
    let hank = ("hank", "scorpio");
    let cases = [
        ("acme.example", alice, 200, "Hello, alice of acme.example!\n"),
        // The port and the case of the host name do not matter.
        ("ACME.example:8080", alice, 200, "Hello, alice of acme.example!\n"),
        ("globex.example", hank, 200, "Hello, hank of globex.example!\n"),
        // A user of one tenant is nobody on another's host.
        ("globex.example", alice, 401, ""),
        ("acme.example", hank, 401, ""),
        // A right user-id with a wrong password.
        ("acme.example", ("alice", "scorpio"), 401, ""),
        // A host that is no tenant has no users.
        ("127.0.0.1", alice, 401, ""),
    ];
    for (host, user, status, body) in cases {
        let (got_status, got_body) = whoami(addr, host, user).await;
        assert_eq!(got_status, status, "{host} {user:?}: {got_body}");
        if status == 200 {
            assert_eq!(got_body, body, "{host} {user:?}");
        }
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn curl_walk_through() {
    let addr = support::serve(tenants::app()).await;
    let url = format!("http://{addr}/whoami");
    let curl = |user: &str, host: Option<&str>| {
        let mut args: Vec<String> = vec![
            "-s".into(),
            "-w".into(),
            "\n%{http_code}".into(),
            "-u".into(),
            user.into(),
        ];
        if let Some(host) = host {
            args.extend(["-H".into(), format!("Host: {host}")]);
        }
        args.push(url.clone());
        support::run("curl", args)
    };
    let out = curl("alice:wonderland", Some("acme.example")).await;
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "Hello, alice of acme.example!\n\n200"
    );
    let out = curl("alice:wonderland", Some("globex.example")).await;
    assert!(String::from_utf8_lossy(&out.stdout).ends_with("\n401"));
    let out = curl("hank:scorpio", Some(&format!("globex.example:{}", addr.port()))).await;
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "Hello, hank of globex.example!\n\n200"
    );
    // curl's own Host is 127.0.0.1:PORT: no tenant.
    let out = curl("alice:wonderland", None).await;
    assert!(String::from_utf8_lossy(&out.stdout).ends_with("\n401"));
}

pub(crate) const TESTS: &[Case] = cases![
    each_host_has_its_own_users: [],
    curl_walk_through: [CURL],
];
