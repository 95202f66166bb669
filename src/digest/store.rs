//! Where Digest gets each user's H(A1) or password: the lookup a store answers, the record
//! it answers with, and [`DigestUsers`], a store in memory.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::future::{Ready, ready};
use std::sync::Arc;

use http::request::Parts;

use super::algorithm::Algorithm;
use super::hex::Hex;
use crate::failure::AuthFailure;
use crate::verify::Verifier;

/// What [`Digest`](super::Digest) asks its store for: the user named in the credentials, for
/// the realm and algorithm they answer. The store is a
/// [`Verifier`]`<DigestLookup, User = `[`DigestUser<U>`](DigestUser)`>`: see the
/// [module docs](super#the-store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestLookup {
    pub(crate) username: String,
    pub(crate) realm: Arc<str>,
    pub(crate) algorithm: Algorithm,
    pub(crate) userhash: bool,
}

impl DigestLookup {
    /// A lookup, for testing a store.
    pub fn new(username: impl Into<String>, realm: &str, algorithm: Algorithm, userhash: bool) -> Self {
        DigestLookup {
            username: username.into(),
            realm: realm.into(),
            algorithm,
            userhash,
        }
    }

    /// The username the client sent, in its RFC 8265 enforced form (UsernameCasePreserved:
    /// `john` when the client sent `ｊｏｈｎ`) unless [`Digest::precis`](super::Digest::precis)
    /// is off; see [`precis`](crate::precis). With [`userhash`](Self::userhash) it is
    /// `H(username ":" realm)` in hex ([`Algorithm::userhash`]), as sent, so look the user up
    /// by that (computed over the enforced name).
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The realm (always the scheme's own: a credential for another realm never gets here).
    pub fn realm(&self) -> &str {
        &self.realm
    }

    /// The algorithm the client used. A stored H(A1) must be computed with
    /// [`algorithm().base()`](Algorithm::base) (the `-sess` variants derive theirs from it).
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// Whether [`username`](Self::username) is a userhash.
    pub fn userhash(&self) -> bool {
        self.userhash
    }
}

/// A user's secret as the store keeps it.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum DigestSecret {
    /// `H(username ":" realm ":" password)` in hex, for the lookup's base algorithm
    /// (see [`Algorithm::ha1`]), used as is: compute it over the RFC 8265 enforced name and
    /// password ([`precis::username`](crate::precis::username),
    /// [`precis::password`](crate::precis::password)), which is what clients hash.
    /// Recommended over the password, but **password-equivalent**:
    /// whoever reads it can answer every challenge of the realm (see the
    /// [module docs](crate::digest#ha1-is-a-password-equivalent)).
    Ha1(String),
    /// The plaintext password; the scheme computes H(A1) from it, over its RFC 8265
    /// enforced form (NFC) unless [`Digest::precis`](super::Digest::precis) is off, and then
    /// computes as much for unknown users (see [`DigestUser::with_password`]).
    Password(String),
}

impl fmt::Debug for DigestSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DigestSecret::Ha1(_) => f.write_str("Ha1(<redacted>)"),
            DigestSecret::Password(_) => f.write_str("Password(<redacted>)"),
        }
    }
}

/// H(A1) from a password a store returned (RFC 7616 §3.4.2): over the RFC 8265 enforced
/// name and password when `enforce` (RFC 7616 §4), and over the text as it is otherwise.
/// The name is `plain_name` (what a store gives with a userhash lookup, enforced here) or
/// else `lookup_name` (the scheme enforced it already). The flag says the profiles refuse
/// the name or the password: the H(A1) is computed all the same (over what is left), so a
/// refused form costs what an accepted one does, and the caller refuses the user.
///
/// The scheme calls it for every password a store returns and, once a store has returned
/// one, over a dummy password for every lookup that did not return one (unknown users,
/// users stored by H(A1)): every lookup then pays one call, whatever it found.
pub(super) fn password_ha1(
    alg: Algorithm,
    realm: &str,
    enforce: bool,
    lookup_name: &str,
    plain_name: Option<&str>,
    password: &str,
) -> (Hex, bool) {
    #[cfg(test)]
    tests::PASSWORD_HA1_CALLS.with(|c| c.set(c.get() + 1));
    if !enforce {
        return (alg.ha1_hex(plain_name.unwrap_or(lookup_name), realm, password), false);
    }
    let name = plain_name.map_or(Ok(Cow::Borrowed(lookup_name)), crate::precis::username);
    let password = crate::precis::password(password);
    let refused = name.is_err() || password.is_err();
    let ha1 = alg.ha1_hex(
        name.as_deref().unwrap_or(lookup_name),
        realm,
        password.as_deref().unwrap_or_default(),
    );
    (ha1, refused)
}

/// What a Digest store answers with: the user handed to your handlers, and the secret to
/// check the client's response with, H(A1) (recommended) or the password.
///
/// A user returned with a [password](Self::with_password) costs an H(A1) and the RFC 8265
/// enforcement of the password more than one returned with an [H(A1)](Self::with_ha1). Once
/// the store has returned a password (to this [`Digest`](super::Digest) or a clone), every
/// lookup that returns none (unknown users, users stored by H(A1)) does the same work over a
/// dummy password, so the time taken does not tell which users exist; a store that only
/// returns H(A1)s never pays for it. What remains is your lookup's own timing.
#[derive(Clone, Debug)]
pub struct DigestUser<U> {
    pub(crate) user: U,
    pub(crate) secret: DigestSecret,
    pub(crate) username: Option<String>,
}

impl<U> DigestUser<U> {
    /// A user whose H(A1) for the lookup's base algorithm is `ha1` (hex, any case; see
    /// [`Algorithm::ha1`]). It is used as is: compute it over the RFC 8265 enforced name and
    /// password ([`precis::username`](crate::precis::username),
    /// [`precis::password`](crate::precis::password)), which is what clients hash. It is
    /// **password-equivalent**: whoever reads it can answer every challenge of the realm (see
    /// the [module docs](super#ha1-is-a-password-equivalent)). One that is not hex of the
    /// algorithm's length is answered `500` and logged.
    pub fn with_ha1(user: U, ha1: impl Into<String>) -> Self {
        DigestUser {
            user,
            secret: DigestSecret::Ha1(ha1.into()),
            username: None,
        }
    }

    /// A user whose plaintext password is `password`. The scheme computes H(A1) from it, over
    /// its RFC 8265 enforced form (NFC) unless [`Digest::precis`](super::Digest::precis) is
    /// off; a password the profile refuses (an empty one) never matches.
    pub fn with_password(user: U, password: impl Into<String>) -> Self {
        DigestUser {
            user,
            secret: DigestSecret::Password(password.into()),
            username: None,
        }
    }

    /// The plain username, needed with a password when the lookup was by userhash
    /// (A1 is computed from the plain name, not from its hash).
    pub fn username(mut self, name: impl Into<String>) -> Self {
        self.username = Some(name.into());
        self
    }

    /// The user.
    pub fn user(&self) -> &U {
        &self.user
    }
}

/// A Digest store in memory that keeps H(A1) per user and algorithm (never the password),
/// with a userhash index. The user handed to handlers is the username.
///
/// ```
/// use tower_httpauth::digest::{Digest, DigestUsers};
/// let users = DigestUsers::new("http-auth@example.org")
///     .with_password("Mufasa", "Circle of Life")
///     .with_password("john", "hello");
/// let digest = Digest::new(users).realm("http-auth@example.org");
/// # let _ = digest;
/// ```
#[derive(Clone, Default)]
pub struct DigestUsers {
    realm: String,
    /// (base algorithm, username) → H(A1)
    ha1: HashMap<(Algorithm, String), String>,
    /// (base algorithm, userhash) → username
    by_hash: HashMap<(Algorithm, String), String>,
}

impl fmt::Debug for DigestUsers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DigestUsers")
            .field("realm", &self.realm)
            .field("entries", &self.ha1.len())
            .finish_non_exhaustive()
    }
}

const BASES: [Algorithm; 3] = [Algorithm::Md5, Algorithm::Sha256, Algorithm::Sha512_256];

impl DigestUsers {
    /// An empty store for `realm` (it must equal the scheme's realm).
    pub fn new(realm: impl Into<String>) -> Self {
        DigestUsers {
            realm: realm.into(),
            ..Default::default()
        }
    }

    /// Adds a user, storing H(A1) for MD5, SHA-256 and SHA-512-256 (the password itself
    /// is not kept).
    ///
    /// The name and password are taken in their RFC 8265 enforced forms (see
    /// [`precis`](crate::precis)), as [`Digest`](super::Digest) and clients use them: a
    /// password given decomposed matches a client that hashes it precomposed, and the user
    /// `ｊｏｈｎ` is stored as `john`. A form the profiles refuse is kept as given (it then
    /// never matches while the scheme enforces).
    ///
    /// ```
    /// use tower_httpauth::digest::{Algorithm, DigestUsers};
    /// let users = DigestUsers::new("api").with_password("ｊｏｈｎ", "caf\u{65}\u{301}");
    /// let same = DigestUsers::new("api").with_ha1("john", Algorithm::Md5, Algorithm::Md5.ha1("john", "api", "caf\u{e9}").as_str());
    /// # let _ = (users, same);
    /// ```
    pub fn with_password(mut self, username: &str, password: &str) -> Self {
        let username = crate::precis::username_or_same(username);
        let password = crate::precis::password_or_same(password);
        for alg in BASES {
            let ha1 = alg.ha1(&username, &self.realm, &password);
            self = self.with_ha1(&username, alg, &ha1);
        }
        self
    }

    /// Adds a user's H(A1) for one base algorithm (e.g. an `htdigest` line for MD5). The
    /// name is keyed (and userhashed) in its RFC 8265 enforced form; the H(A1) is used as
    /// is, so it must have been computed over the enforced name and password.
    pub fn with_ha1(mut self, username: &str, algorithm: Algorithm, ha1: &str) -> Self {
        let username = &*crate::precis::username_or_same(username);
        let alg = algorithm.base();
        let hash = alg.userhash(username, &self.realm);
        self.by_hash.insert((alg, hash), username.to_owned());
        self.ha1.insert((alg, username.to_owned()), ha1.to_ascii_lowercase());
        self
    }
}

impl Verifier<DigestLookup> for DigestUsers {
    type User = DigestUser<String>;
    type Future = Ready<Result<DigestUser<String>, AuthFailure>>;

    fn verify(&self, lookup: DigestLookup, _request: &Parts) -> Self::Future {
        ready(self.find(lookup).ok_or_else(AuthFailure::invalid))
    }
}

impl DigestUsers {
    fn find(&self, lookup: DigestLookup) -> Option<DigestUser<String>> {
        let alg = lookup.algorithm.base();
        let name = if lookup.userhash {
            self.by_hash.get(&(alg, lookup.username.to_ascii_lowercase()))?.clone()
        } else {
            lookup.username
        };
        let ha1 = self.ha1.get(&(alg, name.clone())).cloned();
        ha1.map(|ha1| DigestUser::with_ha1(name.clone(), ha1).username(name))
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
    use http::{HeaderMap, Request};

    use super::*;
    use crate::digest::algorithm::client_response;
    use crate::digest::{Digest, Qop};
    use crate::scheme::{AuthRequest, Scheme};
    use crate::sync_fn;

    thread_local! {
        /// Calls of `password_ha1` on this thread (with stores that never wait, the whole
        /// check runs on the thread that polls the scheme's future).
        pub(super) static PASSWORD_HA1_CALLS: Cell<usize> = const { Cell::new(0) };
    }

    const REALM: &str = "api@example.org";

    fn param(header: &str, name: &str) -> String {
        let start = header.find(&format!("{name}=\"")).expect(name) + name.len() + 2;
        header[start..].split('"').next().unwrap_or_default().to_owned()
    }

    /// Polls the scheme's future once: the stores here never wait.
    fn answer<V: Verifier<DigestLookup, User = DigestUser<String>>>(
        digest: &Digest<V>,
        parts: &http::request::Parts,
    ) -> Result<crate::scheme::Authenticated<String>, AuthFailure> {
        let mut fut = digest.authenticate(&AuthRequest::new(parts));
        let waker = std::task::Waker::noop();
        match fut.as_mut().poll(&mut std::task::Context::from_waker(waker)) {
            std::task::Poll::Ready(outcome) => outcome,
            std::task::Poll::Pending => panic!("a store that never waits answers at once"),
        }
    }

    /// One SHA-256 Digest login: whether it succeeded, and how many H(A1)s were computed from
    /// a password on the way.
    fn login<V: Verifier<DigestLookup, User = DigestUser<String>>>(
        digest: &Digest<V>,
        user: &str,
        password: &str,
    ) -> (bool, usize) {
        let (parts, ()) = Request::get("/r").body(()).unwrap().into_parts();
        let Err(failure) = answer(digest, &parts) else {
            panic!("no credentials: refused");
        };
        let mut headers = HeaderMap::new();
        digest.challenge(&failure, &mut headers);
        let challenge = headers.get(WWW_AUTHENTICATE).unwrap().to_str().unwrap();
        assert!(challenge.contains("algorithm=SHA-256"), "{challenge}");
        let (nonce, opaque) = (param(challenge, "nonce"), param(challenge, "opaque"));
        let response = client_response(
            Algorithm::Sha256,
            user,
            REALM,
            password,
            &nonce,
            "00000001",
            "c0ffee",
            Some(Qop::Auth),
            "GET",
            "/r",
            None,
        );
        let authorization = format!(
            r#"Digest username="{user}", realm="{REALM}", nonce="{nonce}", uri="/r", algorithm=SHA-256, qop=auth, nc=00000001, cnonce="c0ffee", response="{}", opaque="{opaque}""#,
            response.as_str()
        );
        let (parts, ()) = Request::get("/r")
            .header(AUTHORIZATION, authorization)
            .body(())
            .unwrap()
            .into_parts();
        PASSWORD_HA1_CALLS.with(|c| c.set(0));
        let outcome = answer(digest, &parts);
        (outcome.is_ok(), PASSWORD_HA1_CALLS.with(Cell::get))
    }

    fn password_store() -> impl Verifier<DigestLookup, User = DigestUser<String>> {
        sync_fn(|l: &DigestLookup| {
            (l.username() == "alice").then(|| DigestUser::with_password("alice".to_owned(), "Circle of Life"))
        })
    }

    #[test]
    fn unknown_users_cost_the_password_h_a1_of_a_known_one() {
        let digest = Digest::new(password_store()).realm(REALM);
        // Before the store has answered with a password, the scheme cannot know it will.
        assert_eq!(login(&digest, "mallory", "Circle of Life"), (false, 0));
        assert_eq!(login(&digest, "alice", "Circle of Life"), (true, 1));
        assert_eq!(login(&digest, "alice", "wrong"), (false, 1));
        // From then on an unknown user costs the same H(A1) and PRECIS, and is refused.
        assert_eq!(login(&digest, "mallory", "Circle of Life"), (false, 1));
        assert_eq!(login(&digest, "mallory", ""), (false, 1));
        // A refined clone shares the store, and what was learnt about it.
        let clone = digest.clone().max_nonce_uses(10);
        assert_eq!(login(&clone, "mallory", "Circle of Life"), (false, 1));
        // Without PRECIS too.
        let raw = Digest::new(password_store())
            .realm(REALM)
            .precis(crate::precis::Precis::Off);
        assert_eq!(login(&raw, "alice", "Circle of Life"), (true, 1));
        assert_eq!(login(&raw, "mallory", "Circle of Life"), (false, 1));
    }

    #[test]
    fn stores_of_h_a1_never_compute_one_from_a_password() {
        let digest = Digest::new(DigestUsers::new(REALM).with_password("alice", "Circle of Life")).realm(REALM);
        assert_eq!(login(&digest, "alice", "Circle of Life"), (true, 0));
        assert_eq!(login(&digest, "mallory", "Circle of Life"), (false, 0));
        assert_eq!(login(&digest, "alice", "wrong"), (false, 0));
    }

    #[test]
    fn a_store_of_passwords_and_h_a1s_costs_one_password_h_a1_per_lookup() {
        let users = DigestUsers::new(REALM).with_password("bob", "hello");
        let digest = Digest::new(sync_fn(move |l: &DigestLookup| match l.username() {
            "alice" => Some(DigestUser::with_password("alice".to_owned(), "Circle of Life")),
            _ => users.find(l.clone()),
        }))
        .realm(REALM);
        assert_eq!(login(&digest, "alice", "Circle of Life"), (true, 1));
        assert_eq!(login(&digest, "bob", "hello"), (true, 1));
        assert_eq!(login(&digest, "bob", "wrong"), (false, 1));
        assert_eq!(login(&digest, "mallory", "hello"), (false, 1));
    }

    #[test]
    fn password_h_a1_matches_the_rfc_and_flags_refused_forms() {
        let (ha1, refused) = password_ha1(
            Algorithm::Md5,
            "http-auth@example.org",
            true,
            "Mufasa",
            None,
            "Circle of Life",
        );
        assert_eq!((ha1.as_str(), refused), ("3d78807defe7de2157e2b0b6573a855f", false));
        // An empty password is refused by OpaqueString, after the same hashing.
        let (_, refused) = password_ha1(Algorithm::Md5, "r", true, "Mufasa", None, "");
        assert!(refused);
        let (_, refused) = password_ha1(Algorithm::Md5, "r", false, "Mufasa", None, "");
        assert!(!refused);
        // The plain name a userhash lookup returns is enforced.
        let (ha1, refused) = password_ha1(Algorithm::Md5, "r", true, "0123abcd", Some("ｊｏｈｎ"), "pw");
        assert_eq!((ha1, refused), (Algorithm::Md5.ha1_hex("john", "r", "pw"), false));
    }
}
