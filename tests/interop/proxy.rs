//! Proxy authentication over TCP with curl `--proxy-basic` / `--proxy-digest` (`407`,
//! `Proxy-Authorization`); the in-process cases are `tests/it/proxy.rs`.

use tower_httpauth::AuthLayer;
use tower_httpauth::digest::Algorithm;

use crate::fixtures::proxy::{app, basic, digest};
use crate::support;
use crate::support::harness::{CURL, Case, cases};

#[tokio::main(flavor = "current_thread")]
async fn curl_proxy_basic_and_digest() {
    let basic_proxy = format!("http://{}", support::serve(app(AuthLayer::new(basic()))).await);
    let digest_proxy = format!("http://{}", support::serve(app(AuthLayer::new(digest()))).await);
    let target = "http://origin.invalid/dir/index.html?q=1";

    let (code, body) = support::curl(&[
        "-x",
        &basic_proxy,
        "--proxy-basic",
        "-U",
        "alice:s3cret",
        "-u",
        "o:p",
        target,
    ])
    .await;
    assert_eq!(code, "200", "{body}");
    assert_eq!(body, "user=alice authorization=Basic bzpw proxy-authorization=-");
    let (code, _) = support::curl(&["-x", &basic_proxy, "--proxy-basic", "-U", "alice:wrong", target]).await;
    assert_eq!(code, "407");

    for alg in [Algorithm::Sha256, Algorithm::Md5] {
        let proxy = format!(
            "http://{}",
            support::serve(app(AuthLayer::new(digest().algorithms([alg])))).await
        );
        let (code, body) =
            support::curl(&["-x", &proxy, "--proxy-digest", "-U", "Mufasa:Circle of Life", target]).await;
        assert_eq!(code, "200", "{alg}: {body}");
        assert_eq!(body, "user=Mufasa authorization=- proxy-authorization=-");
    }
    let (code, _) = support::curl(&["-x", &digest_proxy, "--proxy-digest", "-U", "Mufasa:wrong", target]).await;
    assert_eq!(code, "407");
}

pub(crate) const TESTS: &[Case] = cases![
    curl_proxy_basic_and_digest: [CURL],
];
