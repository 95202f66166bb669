//! JSON Web Tokens (feature `jwt`): verification for [`Bearer`](crate::Bearer), issuing
//! for login routes.
//!
//! Built on [`jsonwebtoken`] 11 with its pure-Rust (RustCrypto) backend: the most used JWT
//! crate, maintained, and it needs no C toolchain. HS256, RS256, ES256 and EdDSA (Ed25519)
//! are supported; `alg: none` is always refused.
//!
//! ```
//! use std::time::Duration;
//! use serde::{Deserialize, Serialize};
//! use tower_httpauth::{AuthLayer, Bearer};
//! use tower_httpauth::token::jwt::{Jwt, JwtIssuer, JwtKey};
//!
//! #[derive(Clone, Serialize, Deserialize)]
//! struct User { sub: String, roles: Vec<String> }
//!
//! let secret = b"a 32-byte (or longer) random key!";
//! let issuer = JwtIssuer::new(JwtKey::hs256(secret).unwrap().kid("k1"))
//!     .issuer("https://auth.example")
//!     .audience("api")
//!     .access_ttl(Duration::from_secs(900))
//!     .refresh_ttl(Duration::from_secs(86400));
//! let pair = issuer.issue_pair(&User { sub: "john".into(), roles: vec!["admin".into()] }).unwrap();
//!
//! let jwt = Jwt::<User>::new()
//!     .key(JwtKey::hs256(secret).unwrap().kid("k1"))
//!     .issuer("https://auth.example")
//!     .audience("api")
//!     .leeway(Duration::from_secs(30));
//! assert_eq!(jwt.verify(&pair.access_token).unwrap().sub, "john");
//! // A refresh token is not an access token.
//! assert!(jwt.verify(&pair.refresh_token).is_err());
//!
//! // The request's user is your claims type; its roles come from its `roles` claim.
//! let layer = AuthLayer::new(Bearer::new(jwt))
//!     .roles_from(|u: &User| u.roles.clone())
//!     .require_role("admin");
//! # let _ = layer;
//! ```
//!
//! # Roles from a claim
//!
//! Your claims type is the user, so a roles hook reads the claim as a field: a list of
//! roles as above, or OAuth's space-separated `scope` string:
//!
//! ```
//! # use serde::Deserialize;
//! # use tower_httpauth::{AuthLayer, Bearer};
//! # use tower_httpauth::token::jwt::{Jwt, JwtKey};
//! #[derive(Clone, Deserialize)]
//! struct Scoped { sub: String, scope: String }
//!
//! # let jwt = Jwt::<Scoped>::new().key(JwtKey::hs256(&[7; 32]).unwrap());
//! let layer = AuthLayer::new(Bearer::new(jwt))
//!     .roles_from(|c: &Scoped| c.scope.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
//!     .require_role("write");
//! # let _ = layer;
//! ```
//!
//! # Keys
//!
//! [`JwtKey`] reads an HMAC secret, or a public key in PEM (RSA, EC P-256, Ed25519); a
//! [`Jwt`] takes several, each optionally under a key id (`kid`). A token naming a `kid`
//! is checked with that key only; a token without `kid` with each key of its algorithm.
//! [`Jwt::jwks`] and [`Jwt::jwks_file`] read the keys of a JWKS document (RFC 7517) from a
//! string or a file: there is no network fetch; refresh the document yourself.
//!
//! # Checks
//!
//! Signature (the algorithm must be the key's), `exp` (required), `nbf` (when present),
//! `iss` and `aud` (when configured, required), with a leeway (default none), and the
//! `token_use` claim this module's issuer writes: [`Jwt`] accepts access tokens (or tokens
//! without the claim, as other issuers write them) and refuses refresh tokens; a
//! [`refresh_tokens`](Jwt::refresh_tokens) verifier accepts only tokens whose `token_use` is
//! `"refresh"`. Reasons are told apart in [`JwtError`]; unknown `kid` and bad signature read
//! the same to the client. Through [`Bearer`](crate::Bearer) a refused token is answered
//! `401 invalid_token` with the reason's [`description`](JwtError::description).
//!
//! # Audience: required with an identity provider's keys
//!
//! An identity provider signs tokens for every API it serves, with the same keys. A verifier
//! holding a key it cannot sign with (a public key in PEM, or keys from a JWKS) must therefore
//! say which audience it accepts: [`audience`](Jwt::audience), or
//! [`any_audience`](Jwt::any_audience) to accept tokens meant for any API (only if the
//! provider serves you alone, or you check `aud` yourself). Keys you sign with yourself (an
//! HS256 secret, a key pair) leave `aud` optional: the tokens come from your own
//! [`JwtIssuer`].
//!
//! A verifier with such a key and neither call never accepts a token: the builder cannot
//! tell which call comes last, so the mistake shows on the first request instead of when
//! the layer is built. Every request with a token is answered `500` and logged at `error`
//! level with a message naming both calls (through the layer's log of failed verifications),
//! and [`Jwt::verify`] refuses every token with [`JwtError::AudienceNotConfigured`].
//!
//! ```
//! use tower_httpauth::Bearer;
//! use tower_httpauth::token::jwt::Jwt;
//! # let jwks = r#"{"keys": [{"kty": "OKP", "crv": "Ed25519", "kid": "k1",
//! #     "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}"#;
//!
//! let jwt = Jwt::<serde_json::Value>::new()
//!     .jwks(jwks)
//!     .unwrap()
//!     .issuer("https://login.example")
//!     .audience("https://api.example");
//! let bearer = Bearer::new(jwt);
//! # let _ = bearer;
//! ```
//!
//! # Cost
//!
//! Verification runs on the request's task. HS256 is the cheapest algorithm and EdDSA the
//! next; RS256 and ES256 with the pure-Rust backend cost far more CPU per token (the
//! figures are in `BENCHMARKS.md`). At high request rates prefer HS256 or EdDSA, or cache
//! verified tokens.
//!
//! If another crate in your build enables jsonwebtoken's `aws_lc_rs` feature too, install
//! a provider with `jsonwebtoken::crypto::CryptoProvider::install_default` at start-up.

use std::collections::HashSet;
use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::request::Parts;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::future::Checked;
use super::{Revocation, TokenError};
use crate::bearer::Token;
use crate::failure::AuthFailure;
use crate::verify::Verifier;

pub use jsonwebtoken;

/// The claim naming the kind of a token issued by [`JwtIssuer`] (`"access"` or `"refresh"`).
const TOKEN_USE_CLAIM: &str = "token_use";

/// Why a JWT was refused, or a key or token could not be made.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum JwtError {
    /// Not a JWT, or unreadable claims.
    Malformed,
    /// The algorithm is not supported or not allowed for the key (including `none`).
    Algorithm,
    /// The token names a `kid` the verifier does not have.
    UnknownKey,
    /// The signature does not verify.
    BadSignature,
    /// `exp` has passed.
    Expired,
    /// `nbf` is in the future.
    NotYetValid,
    /// `iss` is missing or not an accepted issuer.
    WrongIssuer,
    /// `aud` is missing or not an accepted audience.
    WrongAudience,
    /// A required claim (such as `exp`) is missing or has the wrong type.
    MissingClaim(String),
    /// A refresh token where an access token was expected, or anything but a refresh token
    /// (`token_use` other than `"refresh"`, or none) where a refresh token was.
    WrongTokenUse,
    /// The verifier holds an identity provider's key (a public key, a JWKS) but was told no
    /// audience: neither [`Jwt::audience`] nor [`Jwt::any_audience`]. Every token is refused,
    /// through [`Bearer`](crate::Bearer) with `500` (see the
    /// [module docs](self#audience-required-with-an-identity-providers-keys)).
    AudienceNotConfigured,
    /// A key could not be read (bad PEM, unsupported JWK) or a token could not be signed.
    Key(String),
}

impl JwtError {
    /// The `error_description` sent to the client.
    pub fn description(&self) -> &'static str {
        match self {
            JwtError::Malformed | JwtError::MissingClaim(_) | JwtError::Key(_) => "The access token is malformed",
            JwtError::Algorithm => "The access token algorithm is not accepted",
            JwtError::UnknownKey | JwtError::BadSignature => "The access token signature is invalid",
            JwtError::Expired => "The access token expired",
            JwtError::NotYetValid => "The access token is not valid yet",
            JwtError::WrongIssuer => "The access token issuer is not accepted",
            JwtError::WrongAudience => "The access token is not meant for this audience",
            JwtError::WrongTokenUse => "The token is not an access token",
            JwtError::AudienceNotConfigured => "The server cannot verify access tokens",
        }
    }

    fn from_jwt(e: &jsonwebtoken::errors::Error) -> Self {
        use jsonwebtoken::errors::ErrorKind as K;
        match e.kind() {
            K::InvalidSignature => JwtError::BadSignature,
            K::InvalidAlgorithm | K::InvalidAlgorithmName | K::MissingAlgorithm => JwtError::Algorithm,
            K::ExpiredSignature => JwtError::Expired,
            K::ImmatureSignature => JwtError::NotYetValid,
            K::InvalidIssuer => JwtError::WrongIssuer,
            K::InvalidAudience => JwtError::WrongAudience,
            K::MissingRequiredClaim(c) if c == "iss" => JwtError::WrongIssuer,
            K::MissingRequiredClaim(c) if c == "aud" => JwtError::WrongAudience,
            K::MissingRequiredClaim(c) | K::InvalidClaimFormat(c) => JwtError::MissingClaim(c.clone()),
            K::InvalidEcdsaKey | K::InvalidEddsaKey | K::InvalidRsaKey(_) | K::InvalidKeyFormat => {
                JwtError::Key(e.to_string())
            }
            _ => JwtError::Malformed,
        }
    }
}

impl fmt::Display for JwtError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JwtError::MissingClaim(c) => write!(f, "JWT claim `{c}` missing or invalid"),
            JwtError::Key(e) => write!(f, "JWT key error: {e}"),
            JwtError::AudienceNotConfigured => f.write_str(AUDIENCE_NOT_CONFIGURED),
            other => write!(f, "JWT refused: {}", other.description()),
        }
    }
}

impl std::error::Error for JwtError {}

/// The answer a token gets for this reason: `401 invalid_token` with the reason's
/// [`description`](JwtError::description) and the reason as the failure's source; but `500`
/// for [`AudienceNotConfigured`](JwtError::AudienceNotConfigured), a mistake of the server's
/// configuration that no token can cure.
impl From<JwtError> for AuthFailure {
    fn from(e: JwtError) -> Self {
        match e {
            JwtError::AudienceNotConfigured => AuthFailure::internal(e),
            e => AuthFailure::invalid().with_description(e.description()).with_source(e),
        }
    }
}

/// One verification key: an algorithm, the key, and an optional key id.
#[derive(Clone)]
pub struct JwtKey {
    alg: Algorithm,
    kid: Option<String>,
    decoding: DecodingKey,
    encoding: Option<EncodingKey>,
}

impl fmt::Debug for JwtKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtKey")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

fn key_err(e: jsonwebtoken::errors::Error) -> JwtError {
    JwtError::Key(e.to_string())
}

impl JwtKey {
    /// An HS256 secret (signs and verifies). At least 32 bytes.
    pub fn hs256(secret: &[u8]) -> Result<Self, JwtError> {
        if secret.len() < 32 {
            return Err(JwtError::Key("HS256 secrets must be at least 32 bytes".into()));
        }
        Ok(JwtKey {
            alg: Algorithm::HS256,
            kid: None,
            decoding: DecodingKey::from_secret(secret),
            encoding: Some(EncodingKey::from_secret(secret)),
        })
    }

    /// An RS256 public key (`-----BEGIN PUBLIC KEY-----` or `RSA PUBLIC KEY`), to verify.
    pub fn rs256_public_pem(pem: &[u8]) -> Result<Self, JwtError> {
        Ok(Self::verifying(
            Algorithm::RS256,
            DecodingKey::from_rsa_pem(pem).map_err(key_err)?,
        ))
    }

    /// An ES256 (P-256) public key in PEM, to verify.
    pub fn es256_public_pem(pem: &[u8]) -> Result<Self, JwtError> {
        Ok(Self::verifying(
            Algorithm::ES256,
            DecodingKey::from_ec_pem(pem).map_err(key_err)?,
        ))
    }

    /// An Ed25519 public key in PEM, to verify EdDSA tokens.
    pub fn eddsa_public_pem(pem: &[u8]) -> Result<Self, JwtError> {
        Ok(Self::verifying(
            Algorithm::EdDSA,
            DecodingKey::from_ed_pem(pem).map_err(key_err)?,
        ))
    }

    /// An RS256 key pair: the private key (PKCS#1 or PKCS#8 PEM) signs, the public key
    /// verifies.
    pub fn rs256_pem(private_pem: &[u8], public_pem: &[u8]) -> Result<Self, JwtError> {
        let mut k = Self::rs256_public_pem(public_pem)?;
        k.encoding = Some(EncodingKey::from_rsa_pem(private_pem).map_err(key_err)?);
        Ok(k)
    }

    /// An ES256 key pair (PKCS#8 private key PEM, public key PEM).
    pub fn es256_pem(private_pem: &[u8], public_pem: &[u8]) -> Result<Self, JwtError> {
        let mut k = Self::es256_public_pem(public_pem)?;
        k.encoding = Some(EncodingKey::from_ec_pem(private_pem).map_err(key_err)?);
        Ok(k)
    }

    /// An Ed25519 key pair (PKCS#8 private key PEM, public key PEM).
    pub fn eddsa_pem(private_pem: &[u8], public_pem: &[u8]) -> Result<Self, JwtError> {
        let mut k = Self::eddsa_public_pem(public_pem)?;
        k.encoding = Some(EncodingKey::from_ed_pem(private_pem).map_err(key_err)?);
        Ok(k)
    }

    /// A key from a JWK (RFC 7517). The algorithm is the JWK's `alg`, or inferred from
    /// the key type (RSA → RS256, EC P-256 → ES256, OKP Ed25519 → EdDSA, oct → HS256).
    pub fn from_jwk(jwk: &Jwk) -> Result<Self, JwtError> {
        let alg = match jwk.common.key_algorithm {
            Some(a) => Algorithm::from_str(&a.to_string()).map_err(|_| JwtError::Algorithm)?,
            None => match &jwk.algorithm {
                AlgorithmParameters::RSA(_) => Algorithm::RS256,
                AlgorithmParameters::EllipticCurve(p) if p.curve == EllipticCurve::P256 => Algorithm::ES256,
                AlgorithmParameters::OctetKeyPair(p) if p.curve == EllipticCurve::Ed25519 => Algorithm::EdDSA,
                AlgorithmParameters::OctetKey(_) => Algorithm::HS256,
                _ => return Err(JwtError::Algorithm),
            },
        };
        if !matches!(
            alg,
            Algorithm::HS256 | Algorithm::RS256 | Algorithm::ES256 | Algorithm::EdDSA
        ) {
            return Err(JwtError::Algorithm);
        }
        let mut k = Self::verifying(alg, DecodingKey::from_jwk(jwk).map_err(key_err)?);
        k.kid = jwk.common.key_id.clone();
        Ok(k)
    }

    fn verifying(alg: Algorithm, decoding: DecodingKey) -> Self {
        JwtKey {
            alg,
            kid: None,
            decoding,
            encoding: None,
        }
    }

    /// Sets the key id (`kid`).
    pub fn kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// The key's algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }
}

/// What the configuration error of a [`Jwt`] without an audience says.
const AUDIENCE_NOT_CONFIGURED: &str = "a Jwt verifier with keys of an identity provider (a public key \
     or a JWKS) must say which audience it accepts: call .audience(\"<this API>\"), or \
     .any_audience() to accept tokens meant for any API of that provider";

/// Which `aud` a [`Jwt`] accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Audience {
    /// Not said: fine for your own keys, refused with an identity provider's.
    Unset,
    /// Any, or none ([`Jwt::any_audience`]).
    Any,
    /// One of these, required ([`Jwt::audience`]).
    Only(HashSet<String>),
}

/// A JWT verifier: a [`Verifier`] of [`Token`]s whose user is your claims type `C`.
///
/// With a key of an identity provider (a public key, a JWKS), say which audience you accept
/// ([`audience`](Self::audience) or [`any_audience`](Self::any_audience)); see the
/// [module docs](self#audience-required-with-an-identity-providers-keys).
pub struct Jwt<C> {
    keys: Vec<JwtKey>,
    issuers: Option<HashSet<String>>,
    audiences: Audience,
    leeway: u64,
    token_use: &'static str,
    revocation: Option<Arc<dyn Revocation<str>>>,
    _claims: PhantomData<fn() -> C>,
}

impl<C> Clone for Jwt<C> {
    fn clone(&self) -> Self {
        Jwt {
            keys: self.keys.clone(),
            issuers: self.issuers.clone(),
            audiences: self.audiences.clone(),
            leeway: self.leeway,
            token_use: self.token_use,
            revocation: self.revocation.clone(),
            _claims: PhantomData,
        }
    }
}

impl<C> fmt::Debug for Jwt<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Jwt")
            .field("keys", &self.keys)
            .field("issuers", &self.issuers)
            .field("audiences", &self.audiences)
            .field("leeway", &self.leeway)
            .field("token_use", &self.token_use)
            .field("revocation", &self.revocation.is_some())
            .finish()
    }
}

impl<C> Default for Jwt<C> {
    fn default() -> Self {
        Self::new()
    }
}

impl<C> Jwt<C> {
    /// A verifier with no keys yet (add them with [`key`](Self::key) or
    /// [`jwks`](Self::jwks)).
    pub fn new() -> Self {
        Jwt {
            keys: Vec::new(),
            issuers: None,
            audiences: Audience::Unset,
            leeway: 0,
            token_use: "access",
            revocation: None,
            _claims: PhantomData,
        }
    }

    /// Accepts tokens signed with `key`.
    pub fn key(mut self, key: JwtKey) -> Self {
        self.keys.push(key);
        self
    }

    /// Accepts the keys of a JWKS document (`{"keys": [...]}`). Keys of unsupported types
    /// or algorithms are an error.
    pub fn jwks(mut self, document: &str) -> Result<Self, JwtError> {
        let set: JwkSet = serde_json::from_str(document).map_err(|e| JwtError::Key(e.to_string()))?;
        for jwk in &set.keys {
            self.keys.push(JwtKey::from_jwk(jwk)?);
        }
        Ok(self)
    }

    /// Like [`jwks`](Self::jwks), reading the document from a file (at most 1 MiB).
    pub fn jwks_file(self, path: impl AsRef<std::path::Path>) -> Result<Self, JwtError> {
        let meta = std::fs::metadata(path.as_ref()).map_err(|e| JwtError::Key(e.to_string()))?;
        if meta.len() > 1 << 20 {
            return Err(JwtError::Key("JWKS file larger than 1 MiB".into()));
        }
        let doc = std::fs::read_to_string(path).map_err(|e| JwtError::Key(e.to_string()))?;
        self.jwks(&doc)
    }

    /// Requires `iss` to be `issuer` (call again to accept several).
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuers.get_or_insert_with(HashSet::new).insert(issuer.into());
        self
    }

    /// Requires `aud` to contain `audience` (call again to accept several). Required, or
    /// [`any_audience`](Self::any_audience), when the verifier holds a public key or JWKS
    /// keys; optional with an HS256 secret or key pair of your own. Replaces an earlier
    /// [`any_audience`](Self::any_audience).
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        match &mut self.audiences {
            Audience::Only(set) => {
                set.insert(audience.into());
            }
            other => *other = Audience::Only(HashSet::from([audience.into()])),
        }
        self
    }

    /// Accepts tokens whatever their `aud` (or without one), and says so: what a verifier
    /// holding a public key or JWKS keys must be told when it does not call
    /// [`audience`](Self::audience). Only when the identity provider issues tokens for your
    /// API alone, or you check `aud` in your own code: otherwise a token the provider issued
    /// for another API (to another client, perhaps a malicious one) is accepted here.
    /// Replaces the audiences set before.
    pub fn any_audience(mut self) -> Self {
        self.audiences = Audience::Any;
        self
    }

    /// Why this verifier refuses every token, if it does: it holds a key of an identity
    /// provider (one it cannot sign with: a public key, keys from a JWKS) and was told no
    /// audience.
    fn audience_error(&self) -> Option<JwtError> {
        let provider_key = self.keys.iter().any(|k| k.encoding.is_none());
        (self.audiences == Audience::Unset && provider_key).then_some(JwtError::AudienceNotConfigured)
    }

    /// Clock skew tolerated on `exp` and `nbf` (default none).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway.as_secs();
        self
    }

    /// Accepts refresh tokens (issued by [`JwtIssuer::refresh_token`]) instead of access
    /// tokens: for the refresh route. Only tokens whose `token_use` claim is `"refresh"` are
    /// accepted; a token without the claim (an access token of another issuer, say) is
    /// refused with [`JwtError::WrongTokenUse`].
    pub fn refresh_tokens(mut self) -> Self {
        self.token_use = "refresh";
        self
    }

    fn validation(&self, alg: Algorithm) -> Validation {
        let mut v = Validation::new(alg);
        v.leeway = self.leeway;
        v.validate_nbf = true;
        let mut required = vec!["exp"];
        if let Some(iss) = &self.issuers {
            v.iss = Some(iss.clone());
            required.push("iss");
        }
        match &self.audiences {
            Audience::Only(aud) => {
                v.aud = Some(aud.clone());
                required.push("aud");
            }
            Audience::Any | Audience::Unset => v.validate_aud = false,
        }
        v.set_required_spec_claims(&required);
        v
    }

    /// Verifies `token` and returns its claims.
    pub fn verify(&self, token: &str) -> Result<C, JwtError>
    where
        C: DeserializeOwned,
    {
        serde_json::from_value(self.verify_value(token)?).map_err(|_| JwtError::Malformed)
    }

    /// Asks `hook` whether each verified token has been revoked, by its `jti` claim (see
    /// [`Revocation`]); it runs when the layer verifies a token, after the checks above. A
    /// revoked token is refused (`401`, "The access token was revoked"), an error of the hook
    /// is answered `500`. Tokens without a string `jti` cannot be revoked, so they are
    /// refused ([`JwtError::MissingClaim`]); [`JwtIssuer`] writes a random `jti` into every
    /// token unless your claims carry one. [`Jwt::verify`] does not ask the hook.
    ///
    /// ```
    /// use std::collections::HashSet;
    /// use std::sync::{Arc, Mutex};
    /// use tower_httpauth::token::jwt::{Jwt, JwtKey};
    ///
    /// let revoked: Arc<Mutex<HashSet<String>>> = Arc::default();
    /// let list = revoked.clone();
    /// let jwt = Jwt::<serde_json::Value>::new()
    ///     .key(JwtKey::hs256(b"a 32-byte (or longer) random key!").unwrap())
    ///     .revocation(move |jti: &str| {
    ///         let is_revoked = list.lock().unwrap().contains(jti);
    ///         async move { Ok::<_, std::convert::Infallible>(is_revoked) }
    ///     });
    /// # let _ = jwt;
    /// ```
    pub fn revocation(mut self, hook: impl Revocation<str>) -> Self {
        self.revocation = Some(Arc::new(hook));
        self
    }

    fn verify_value(&self, token: &str) -> Result<Value, JwtError> {
        // Fail closed before looking at the token.
        if let Some(e) = self.audience_error() {
            return Err(e);
        }
        if token.len() > super::signed::MAX_TOKEN_LEN {
            return Err(JwtError::Malformed);
        }
        // Refuses `alg: none` and unknown algorithms: they do not parse into `Algorithm`.
        let header = jsonwebtoken::decode_header(token).map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::Json(_) => JwtError::Algorithm,
            _ => JwtError::from_jwt(&e),
        })?;
        let candidates: Vec<&JwtKey> = match &header.kid {
            Some(kid) => self.keys.iter().filter(|k| k.kid.as_deref() == Some(kid)).collect(),
            None => self.keys.iter().filter(|k| k.alg == header.alg).collect(),
        };
        if candidates.is_empty() {
            return Err(if header.kid.is_some() {
                JwtError::UnknownKey
            } else {
                JwtError::Algorithm
            });
        }
        let mut last = JwtError::BadSignature;
        for key in candidates {
            if key.alg != header.alg {
                last = JwtError::Algorithm;
                continue;
            }
            match jsonwebtoken::decode::<Value>(token, &key.decoding, &self.validation(key.alg)) {
                Ok(data) => {
                    let token_use = data.claims.get(TOKEN_USE_CLAIM);
                    let right_use = match token_use {
                        Some(u) => u.as_str() == Some(self.token_use),
                        // Other issuers write no `token_use` in their access tokens; a refresh
                        // token must say it is one.
                        None => self.token_use != "refresh",
                    };
                    if !right_use {
                        return Err(JwtError::WrongTokenUse);
                    }
                    return Ok(data.claims);
                }
                Err(e) => {
                    last = JwtError::from_jwt(&e);
                    if last != JwtError::BadSignature {
                        return Err(last);
                    }
                }
            }
        }
        Err(last)
    }
}

impl<C> Verifier<Token> for Jwt<C>
where
    C: DeserializeOwned + Clone + Send + Sync + 'static,
{
    type User = C;
    type Future = Checked<C>;

    fn verify(&self, token: Token, _request: &Parts) -> Self::Future {
        let Some(hook) = &self.revocation else {
            return Checked::done(Jwt::verify(self, token.as_str()).map_err(AuthFailure::from));
        };
        let checked = self.verify_value(token.as_str()).and_then(|v| {
            let jti = match v.get("jti").and_then(Value::as_str) {
                Some(j) if !j.is_empty() && j.len() <= 256 => j.to_owned(),
                _ => return Err(JwtError::MissingClaim("jti".into())),
            };
            let claims: C = serde_json::from_value(v).map_err(|_| JwtError::Malformed)?;
            Ok((jti, claims))
        });
        match checked {
            Ok((jti, claims)) => Checked::revocation(hook.is_revoked(&jti), claims, || {
                AuthFailure::invalid().with_description(TokenError::Revoked.description())
            }),
            Err(e) => Checked::done(Err(e.into())),
        }
    }
}

/// A random token id: 32 hex digits (128 bits).
fn random_jti() -> Result<String, JwtError> {
    let mut id = [0u8; 16];
    getrandom::fill(&mut id).map_err(|e| JwtError::Key(format!("no randomness for jti: {e}")))?;
    Ok(id.iter().map(|b| format!("{b:02x}")).collect())
}

/// Access and refresh tokens for a login response.
#[derive(Clone, Serialize)]
pub struct TokenPair {
    /// The access token.
    pub access_token: String,
    /// The refresh token.
    pub refresh_token: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// Seconds until the refresh token expires.
    pub refresh_expires_in: u64,
}

impl fmt::Debug for TokenPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenPair")
            .field("access_token", &"<redacted>")
            .field("refresh_token", &"<redacted>")
            .field("expires_in", &self.expires_in)
            .field("refresh_expires_in", &self.refresh_expires_in)
            .finish()
    }
}

/// Issues JWTs for login routes: access and refresh tokens with their own lifetimes.
///
/// Your claims (any `Serialize` struct serialising to a JSON object) get `iat`, `exp`,
/// `token_use` and, when configured, `iss` and `aud` added.
#[derive(Clone)]
pub struct JwtIssuer {
    key: JwtKey,
    issuer: Option<String>,
    audience: Option<String>,
    access_ttl: Duration,
    refresh_ttl: Duration,
}

impl fmt::Debug for JwtIssuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtIssuer")
            .field("key", &self.key)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("access_ttl", &self.access_ttl)
            .field("refresh_ttl", &self.refresh_ttl)
            .finish()
    }
}

impl JwtIssuer {
    /// Signs with `key` (which must hold a private key or secret); access tokens live 15
    /// minutes and refresh tokens a day by default.
    pub fn new(key: JwtKey) -> Self {
        JwtIssuer {
            key,
            issuer: None,
            audience: None,
            access_ttl: Duration::from_secs(900),
            refresh_ttl: Duration::from_secs(86400),
        }
    }

    /// Writes `iss`.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// Writes `aud`.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// The lifetime of access tokens.
    pub fn access_ttl(mut self, ttl: Duration) -> Self {
        self.access_ttl = ttl;
        self
    }

    /// The lifetime of refresh tokens.
    pub fn refresh_ttl(mut self, ttl: Duration) -> Self {
        self.refresh_ttl = ttl;
        self
    }

    /// An access token carrying `claims`.
    pub fn access_token<T: Serialize>(&self, claims: &T) -> Result<String, JwtError> {
        self.issue(claims, "access", self.access_ttl)
    }

    /// A refresh token carrying `claims`.
    pub fn refresh_token<T: Serialize>(&self, claims: &T) -> Result<String, JwtError> {
        self.issue(claims, "refresh", self.refresh_ttl)
    }

    /// Both tokens, ready to serialise as a login response.
    pub fn issue_pair<T: Serialize>(&self, claims: &T) -> Result<TokenPair, JwtError> {
        Ok(TokenPair {
            access_token: self.access_token(claims)?,
            refresh_token: self.refresh_token(claims)?,
            expires_in: self.access_ttl.as_secs(),
            refresh_expires_in: self.refresh_ttl.as_secs(),
        })
    }

    /// A token of kind `token_use` living `ttl`, issued at `now`; the building block of the
    /// other methods (and of tests that need expired tokens).
    pub fn issue_at<T: Serialize>(
        &self,
        claims: &T,
        token_use: &str,
        now: u64,
        ttl: Duration,
    ) -> Result<String, JwtError> {
        let Value::Object(mut map) = serde_json::to_value(claims).map_err(|e| JwtError::Key(e.to_string()))? else {
            return Err(JwtError::Key("claims must serialise to a JSON object".into()));
        };
        map.insert("iat".into(), now.into());
        map.insert("exp".into(), now.saturating_add(ttl.as_secs()).into());
        map.insert(TOKEN_USE_CLAIM.into(), token_use.into());
        if !map.contains_key("jti") {
            map.insert("jti".into(), random_jti()?.into());
        }
        if let Some(iss) = &self.issuer {
            map.insert("iss".into(), iss.clone().into());
        }
        if let Some(aud) = &self.audience {
            map.insert("aud".into(), aud.clone().into());
        }
        let mut header = Header::new(self.key.alg);
        header.kid = self.key.kid.clone();
        let key = self
            .key
            .encoding
            .as_ref()
            .ok_or_else(|| JwtError::Key("the issuer's key has no private part".into()))?;
        jsonwebtoken::encode(&header, &Value::Object(map), key).map_err(key_err)
    }

    fn issue<T: Serialize>(&self, claims: &T, token_use: &str, ttl: Duration) -> Result<String, JwtError> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        self.issue_at(claims, token_use, now, ttl)
    }
}
