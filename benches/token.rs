//! Cost of verifying one token: HMAC-signed tokens, and JWT with each algorithm (feature
//! `jwt`), outside any middleware. Compare with the `bearer` bench's per-request figures.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use serde::{Deserialize, Serialize};
use tower_httpauth::token::SignedTokens;
use tower_httpauth::token::jwt::{Jwt, JwtIssuer, JwtKey};

#[derive(Clone, Serialize, Deserialize)]
struct User {
    sub: String,
}

fn pem(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/../tests/data/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("token_verify");
    let signed = SignedTokens::new("k1", b"bench-key-bench-key-bench-key-32".to_vec());
    let token = signed
        .issue_with("john", &[("roles", "admin editor")], Duration::from_secs(3600))
        .unwrap();
    g.bench_function("signed_hmac_sha256", |b| {
        b.iter(|| black_box(signed.verify(black_box(&token)).unwrap()))
    });

    let user = User { sub: "john".into() };
    let keys = [
        (
            "jwt_hs256",
            JwtKey::hs256(b"bench-key-bench-key-bench-key-32").unwrap(),
            JwtKey::hs256(b"bench-key-bench-key-bench-key-32").unwrap(),
        ),
        (
            "jwt_rs256",
            JwtKey::rs256_pem(&pem("rsa_private.pem"), &pem("rsa_public.pem")).unwrap(),
            JwtKey::rs256_public_pem(&pem("rsa_public.pem")).unwrap(),
        ),
        (
            "jwt_es256",
            JwtKey::es256_pem(&pem("ec_private.pem"), &pem("ec_public.pem")).unwrap(),
            JwtKey::es256_public_pem(&pem("ec_public.pem")).unwrap(),
        ),
        (
            "jwt_eddsa",
            JwtKey::eddsa_pem(&pem("ed_private.pem"), &pem("ed_public.pem")).unwrap(),
            JwtKey::eddsa_public_pem(&pem("ed_public.pem")).unwrap(),
        ),
    ];
    for (name, signing, verifying) in keys {
        let token = JwtIssuer::new(signing).access_token(&user).unwrap();
        let jwt = Jwt::<User>::new().key(verifying).any_audience();
        g.bench_function(name, |b| b.iter(|| black_box(jwt.verify(black_box(&token)).unwrap())));
    }
    g.finish();
}

criterion_group!(group, benches);
criterion_main!(group);
