//! Digest algorithms (RFC 7616 §3.2, §6.1), the quality of protection, and the formulas of
//! §3.4 built on them.

use std::fmt;

use super::hex::{Hex, RawDigest};

/// A Digest algorithm: the hash function and whether it is the `-sess` variant.
///
/// Offered with [`Digest::algorithms`](super::Digest::algorithms); a store reads the one the
/// client used from [`DigestLookup::algorithm`](super::DigestLookup::algorithm).
///
/// ```
/// use tower_httpauth::digest::Algorithm;
/// assert_eq!(Algorithm::Sha256.name(), "SHA-256");
/// assert_eq!(Algorithm::Sha256.userhash("Mufasa", "http-auth@example.org"),
///            "a947aad205e80e429958a387394944c6b496301e79f89d35a4cc23b6ee12b5b6");
/// assert!(Algorithm::Md5Sess.is_session());
/// assert_eq!(Algorithm::Md5Sess.base(), Algorithm::Md5);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Algorithm {
    /// `MD5`: for old clients only (RFC 7616 §3.2: NOT RECOMMENDED).
    Md5,
    /// `MD5-sess`.
    Md5Sess,
    /// `SHA-256`: mandatory to implement.
    Sha256,
    /// `SHA-256-sess`.
    Sha256Sess,
    /// `SHA-512-256`: FIPS 180-4 SHA-512/256 (its own initial values, not truncated SHA-512).
    Sha512_256,
    /// `SHA-512-256-sess`.
    Sha512_256Sess,
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Algorithm {
    /// Every algorithm, strongest first.
    pub const ALL: [Algorithm; 6] = [
        Algorithm::Sha512_256,
        Algorithm::Sha512_256Sess,
        Algorithm::Sha256,
        Algorithm::Sha256Sess,
        Algorithm::Md5,
        Algorithm::Md5Sess,
    ];

    /// The name used in challenges and credentials (`"SHA-256-sess"`, …).
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Md5Sess => "MD5-sess",
            Algorithm::Sha256 => "SHA-256",
            Algorithm::Sha256Sess => "SHA-256-sess",
            Algorithm::Sha512_256 => "SHA-512-256",
            Algorithm::Sha512_256Sess => "SHA-512-256-sess",
        }
    }

    /// The algorithm named `name`, case-insensitively (`MD5`, `sha-256-sess`, …).
    pub(crate) fn from_name(name: &str) -> Option<Algorithm> {
        Algorithm::ALL.into_iter().find(|a| a.name().eq_ignore_ascii_case(name))
    }

    /// Whether this is a `-sess` variant (H(A1) also covers the nonce and cnonce).
    pub fn is_session(self) -> bool {
        matches!(
            self,
            Algorithm::Md5Sess | Algorithm::Sha256Sess | Algorithm::Sha512_256Sess
        )
    }

    /// The variant without `-sess`: the one whose H(A1) a credential store keeps.
    pub fn base(self) -> Algorithm {
        match self {
            Algorithm::Md5 | Algorithm::Md5Sess => Algorithm::Md5,
            Algorithm::Sha256 | Algorithm::Sha256Sess => Algorithm::Sha256,
            Algorithm::Sha512_256 | Algorithm::Sha512_256Sess => Algorithm::Sha512_256,
        }
    }

    /// The length of this algorithm's hex digests: 32 for MD5, 64 for the others.
    pub(crate) fn hex_len(self) -> usize {
        match self.base() {
            Algorithm::Md5 => 32,
            _ => 64,
        }
    }

    /// `H(parts...)`: the hash of the concatenated parts as lowercase hex.
    pub(crate) fn hash(self, parts: &[&[u8]]) -> Hex {
        let mut h = Hasher::new(self);
        for p in parts {
            h.update(p);
        }
        h.finish()
    }

    /// `H(A1)` for the base algorithm, `H(username ":" realm ":" password)` in lowercase hex:
    /// what a credential store keeps instead of the password (see the warning in the
    /// [module docs](crate::digest#ha1-is-a-password-equivalent)).
    ///
    /// This hashes the octets it is given. What [`Digest`](super::Digest) compares with
    /// (by default) and what clients hash are the RFC 8265 enforced forms, so at registration
    /// pass the name and password through [`precis::username`](crate::precis::username) and
    /// [`precis::password`](crate::precis::password) first (for ASCII they are unchanged):
    ///
    /// ```
    /// use tower_httpauth::{digest::Algorithm, precis};
    /// # fn main() -> Result<(), precis::PrecisError> {
    /// let (name, pass) = (precis::username("Mufasa")?, precis::password("Circle of Life")?);
    /// let stored = Algorithm::Sha256.ha1(&name, "http-auth@example.org", &pass);
    /// # let _ = stored; Ok(()) }
    /// ```
    ///
    /// ```
    /// use tower_httpauth::digest::Algorithm;
    /// let ha1 = Algorithm::Md5.ha1("Mufasa", "http-auth@example.org", "Circle of Life");
    /// assert_eq!(ha1, "3d78807defe7de2157e2b0b6573a855f");
    /// ```
    pub fn ha1(self, username: &str, realm: &str, password: &str) -> String {
        self.ha1_hex(username, realm, password).as_str().to_owned()
    }

    /// [`ha1`](Self::ha1) on the stack.
    pub(crate) fn ha1_hex(self, username: &str, realm: &str, password: &str) -> Hex {
        self.hash(&[username.as_bytes(), b":", realm.as_bytes(), b":", password.as_bytes()])
    }

    /// The hashed username sent with `userhash=true`: `H(username ":" realm)` in lowercase
    /// hex (RFC 7616 §3.4.4). A store that supports userhash indexes its users by this value.
    pub fn userhash(self, username: &str, realm: &str) -> String {
        self.hash(&[username.as_bytes(), b":", realm.as_bytes()])
            .as_str()
            .to_owned()
    }
}

/// A running hash of an algorithm's function, fed in pieces.
pub(crate) enum Hasher {
    Md5(md5::Md5),
    Sha256(sha2::Sha256),
    Sha512_256(sha2::Sha512_256),
}

impl Hasher {
    /// A fresh hash for `alg`'s function.
    pub(crate) fn new(alg: Algorithm) -> Self {
        use sha2::Digest as _;
        match alg.base() {
            Algorithm::Md5 => Hasher::Md5(md5::Md5::new()),
            Algorithm::Sha256 => Hasher::Sha256(sha2::Sha256::new()),
            _ => Hasher::Sha512_256(sha2::Sha512_256::new()),
        }
    }

    /// Feeds `data`.
    pub(crate) fn update(&mut self, data: &[u8]) {
        use sha2::Digest as _;
        match self {
            Hasher::Md5(d) => d.update(data),
            Hasher::Sha256(d) => d.update(data),
            Hasher::Sha512_256(d) => d.update(data),
        }
    }

    /// The digest as raw bytes.
    pub(crate) fn finish_raw(self) -> RawDigest {
        use sha2::Digest as _;
        match self {
            Hasher::Md5(d) => RawDigest::from_bytes(&d.finalize()),
            Hasher::Sha256(d) => RawDigest::from_bytes(&d.finalize()),
            Hasher::Sha512_256(d) => RawDigest::from_bytes(&d.finalize()),
        }
    }

    /// The digest as lowercase hex.
    pub(crate) fn finish(self) -> Hex {
        Hex::encode(self.finish_raw().as_bytes())
    }
}

/// The quality of protection (RFC 7616 §3.3), offered with [`Digest::qops`](super::Digest::qops).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Qop {
    /// `auth`: authentication only.
    Auth,
    /// `auth-int`: authentication and integrity of the request body. Needs the
    /// [`DigestBodyLayer`](super::DigestBodyLayer) around the auth layer.
    AuthInt,
}

impl Qop {
    /// The token used on the wire: `auth` or `auth-int`.
    pub fn name(self) -> &'static str {
        match self {
            Qop::Auth => "auth",
            Qop::AuthInt => "auth-int",
        }
    }

    /// Parses `auth` or `auth-int` (case-insensitively).
    pub(crate) fn parse(s: &str) -> Option<Qop> {
        if s.eq_ignore_ascii_case("auth") {
            Some(Qop::Auth)
        } else if s.eq_ignore_ascii_case("auth-int") {
            Some(Qop::AuthInt)
        } else {
            None
        }
    }
}

impl fmt::Display for Qop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `H(A2)`: `H(method ":" uri)`, or `H(method ":" uri ":" H(entity-body))` for
/// `auth-int` (RFC 7616 §3.4.3). `rspauth` uses an empty method.
pub(crate) fn ha2(alg: Algorithm, method: &str, uri: &str, body_hash: Option<&Hex>) -> Hex {
    match body_hash {
        Some(bh) => alg.hash(&[method.as_bytes(), b":", uri.as_bytes(), b":", bh.as_bytes()]),
        None => alg.hash(&[method.as_bytes(), b":", uri.as_bytes()]),
    }
}

/// The H(A1) a response is computed with: `ha1` itself, or for `-sess` algorithms
/// `H(ha1 ":" nonce ":" cnonce)` (RFC 7616 §3.4.2).
pub(crate) fn session_ha1(alg: Algorithm, ha1: &Hex, nonce: &str, cnonce: &str) -> Hex {
    if alg.is_session() {
        alg.hash(&[ha1.as_bytes(), b":", nonce.as_bytes(), b":", cnonce.as_bytes()])
    } else {
        *ha1
    }
}

/// What a client computes (RFC 7616 §3.4.1), from the password: the unit tests' check of
/// the RFC's vectors. The server's own computation is in `check.rs`.
#[cfg(test)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn client_response(
    alg: Algorithm,
    username: &str,
    realm: &str,
    password: &str,
    nonce: &str,
    nc: &str,
    cnonce: &str,
    qop: Option<Qop>,
    method: &str,
    uri: &str,
    body: Option<&[u8]>,
) -> Hex {
    let ha1 = alg.ha1_hex(username, realm, password);
    let body_hash = body.map(|b| alg.hash(&[b]));
    request_digest(alg, &ha1, nonce, nc, cnonce, qop, method, uri, body_hash.as_ref())
}

/// `KD(H(A1), nonce ":" nc ":" cnonce ":" qop ":" H(A2))`, or the RFC 2069 form
/// `KD(H(A1), nonce ":" H(A2))` without `qop`, from the base H(A1) (`rspauth` with `method`
/// empty).
#[cfg(test)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn request_digest(
    alg: Algorithm,
    ha1: &Hex,
    nonce: &str,
    nc: &str,
    cnonce: &str,
    qop: Option<Qop>,
    method: &str,
    uri: &str,
    body_hash: Option<&Hex>,
) -> Hex {
    let ha1 = session_ha1(alg, ha1, nonce, cnonce);
    let ha2 = ha2(alg, method, uri, body_hash);
    match qop {
        Some(q) => alg.hash(&[
            ha1.as_bytes(),
            b":",
            nonce.as_bytes(),
            b":",
            nc.as_bytes(),
            b":",
            cnonce.as_bytes(),
            b":",
            q.name().as_bytes(),
            b":",
            ha2.as_bytes(),
        ]),
        None => alg.hash(&[ha1.as_bytes(), b":", nonce.as_bytes(), b":", ha2.as_bytes()]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NONCE: &str = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
    const CNONCE: &str = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
    const REALM: &str = "http-auth@example.org";

    fn r3_9_1(alg: Algorithm, qop: Option<Qop>, body: Option<&[u8]>) -> String {
        client_response(
            alg,
            "Mufasa",
            REALM,
            "Circle of Life",
            NONCE,
            "00000001",
            CNONCE,
            qop,
            "GET",
            "/dir/index.html",
            body,
        )
        .as_str()
        .to_owned()
    }

    #[test]
    fn rfc7616_3_9_1_md5_and_sha256() {
        assert_eq!(
            Algorithm::Md5.ha1("Mufasa", REALM, "Circle of Life").as_str(),
            "3d78807defe7de2157e2b0b6573a855f"
        );
        assert_eq!(
            Algorithm::Md5.hash(&[b"GET:/dir/index.html"]).as_str(),
            "39aff3a2bab6126f332b942af96d3366"
        );
        assert_eq!(
            r3_9_1(Algorithm::Md5, Some(Qop::Auth), None),
            "8ca523f5e9506fed4657c9700eebdbec"
        );
        assert_eq!(
            Algorithm::Sha256.ha1("Mufasa", REALM, "Circle of Life").as_str(),
            "7987c64c30e25f1b74be53f966b49b90f2808aa92faf9a00262392d7b4794232"
        );
        assert_eq!(
            Algorithm::Sha256.hash(&[b"GET:/dir/index.html"]).as_str(),
            "9a3fdae9a622fe8de177c24fa9c070f2b181ec85e15dcbdc32e10c82ad450b04"
        );
        assert_eq!(
            r3_9_1(Algorithm::Sha256, Some(Qop::Auth), None),
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"
        );
    }

    #[test]
    fn standards_item_44_computed_values() {
        let a = Some(Qop::Auth);
        assert_eq!(r3_9_1(Algorithm::Md5Sess, a, None), "e783283f46242139c486a698fec7211d");
        assert_eq!(
            r3_9_1(Algorithm::Sha256Sess, a, None),
            "2fd51b3a77ad75bad6afad6003e818d767133c46d9e2749e7f5232ae1ea3efd7"
        );
        assert_eq!(
            r3_9_1(Algorithm::Sha512_256, a, None),
            "430d05014cecc49cab6fbe03176d41a1da86cbfe24a16580e22aaad928d960d0"
        );
        assert_eq!(
            r3_9_1(Algorithm::Sha512_256Sess, a, None),
            "3f2a34f923c38b0fb26dce2fdfc2ce326c23cecf86fbb1444f3e51fbbc2cb92e"
        );
        let i = Some(Qop::AuthInt);
        assert_eq!(r3_9_1(Algorithm::Md5, i, Some(b"")), "8804a53d3640a40a4f73cea12c5ba451");
        assert_eq!(
            r3_9_1(Algorithm::Sha256, i, Some(b"")),
            "8bdf6f15638e260831e905028de5450562816d093c9bfc5c13d3a46adcdde940"
        );
        assert_eq!(Algorithm::Md5.hash(&[b""]).as_str(), "d41d8cd98f00b204e9800998ecf8427e");
    }

    #[test]
    fn standards_item_42_rspauth() {
        for (alg, want) in [
            (Algorithm::Md5, "9b712497bc9f91499fbcca1dfc5f09a5"),
            (
                Algorithm::Sha256,
                "86d3b25618d41854ca5039a5d7e53ff6355d5134a9b1fb088a78ac3c462195a0",
            ),
        ] {
            let ha1 = alg.ha1_hex("Mufasa", REALM, "Circle of Life");
            let got = request_digest(
                alg,
                &ha1,
                NONCE,
                "00000001",
                CNONCE,
                Some(Qop::Auth),
                "",
                "/dir/index.html",
                None,
            );
            assert_eq!(got.as_str(), want, "{alg}");
        }
    }

    #[test]
    fn rfc2617_3_5_and_rfc2069_form() {
        let run = |qop| {
            client_response(
                Algorithm::Md5,
                "Mufasa",
                "testrealm@host.com",
                "Circle Of Life",
                "dcd98b7102dd2f0e8b11d0f600bfb0c093",
                "00000001",
                "0a4f113b",
                qop,
                "GET",
                "/dir/index.html",
                None,
            )
        };
        assert_eq!(run(Some(Qop::Auth)).as_str(), "6629fae49393a05397450978507c4ef1");
        assert_eq!(run(None).as_str(), "670fd8c2df070c60b045671b8b24ff02");
    }

    #[test]
    fn corrected_rfc7616_3_9_2_sha512_256() {
        let user = "Jäsøn Doe";
        let realm = "api@example.org";
        assert_eq!(
            Algorithm::Sha512_256.userhash(user, realm).as_str(),
            "793263caabb707a56211940d90411ea4a575adeccb7e360aeb624ed06ece9b0b"
        );
        let r = client_response(
            Algorithm::Sha512_256,
            user,
            realm,
            "Secret, or not?",
            "5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK",
            "00000001",
            "NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v",
            Some(Qop::Auth),
            "GET",
            "/doe.json",
            None,
        );
        assert_eq!(
            r.as_str(),
            "3798d4131c277846293534c3edc11bd8a5e4cdcbff78b05db9d95eeb1cec68a5"
        );
        // The RFC's printed (wrong) value is SHA-512 truncated; ours must differ from it.
        assert!(!r.as_str().starts_with("ae66e67d"));
    }

    #[test]
    fn userhash_vectors_item_36() {
        assert_eq!(
            Algorithm::Md5.userhash("Mufasa", REALM).as_str(),
            "4238f3a16167373febb9bc4d43db9cc4"
        );
        assert_eq!(
            Algorithm::Sha256.userhash("Mufasa", REALM).as_str(),
            "a947aad205e80e429958a387394944c6b496301e79f89d35a4cc23b6ee12b5b6"
        );
        assert_eq!(
            Algorithm::Sha512_256.userhash("Mufasa", REALM).as_str(),
            "e2dfabd1a96ddf867710b653b6e6857d1f147086de7d7ef79dcd249859872570"
        );
    }

    #[test]
    fn names_and_hex() {
        for a in Algorithm::ALL {
            assert_eq!(Algorithm::from_name(a.name()), Some(a));
            assert_eq!(Algorithm::from_name(&a.name().to_ascii_lowercase()), Some(a));
            assert_eq!(a.hash(&[b"x"]).as_str().len(), a.hex_len());
        }
        assert!(Algorithm::from_name("SHA-512").is_none());
    }
}
