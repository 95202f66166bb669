//! [`HashPolicy`]: hashing new passwords with Argon2id, and checking stored hashes.

use std::fmt;

use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use password_hash::phc::PasswordHash;

use super::HashError;

/// How new passwords are hashed: Argon2id (RFC 9106) with configurable cost.
///
/// The default is OWASP's Password Storage Cheat Sheet minimum for Argon2id: 19 MiB of
/// memory (`m=19456`), 2 iterations (`t=2`), 1 lane (`p=1`). [`needs_rehash`](Self::needs_rehash)
/// tells which stored hashes are weaker than the policy, so an app can upgrade them at login,
/// when it has the password.
///
/// ```
/// use tower_httpauth::store::HashPolicy;
///
/// // Cheap parameters for the example; keep the defaults in production.
/// let policy = HashPolicy::argon2id(1024, 1, 1).unwrap();
/// let stored = policy.hash("correct horse").unwrap();
/// assert!(stored.starts_with("$argon2id$v=19$m=1024,t=1,p=1$"));
/// assert!(policy.verify("correct horse", &stored).unwrap());
/// assert!(!policy.verify("wrong", &stored).unwrap());
/// assert!(!policy.needs_rehash(&stored));
/// assert!(HashPolicy::default().needs_rehash(&stored)); // below the OWASP minimums
/// ```
#[derive(Clone)]
pub struct HashPolicy {
    params: Params,
}

impl Default for HashPolicy {
    fn default() -> Self {
        HashPolicy {
            params: Params::new(OWASP_M_COST, OWASP_T_COST, OWASP_P_COST, None).expect("valid Argon2 parameters"),
        }
    }
}

/// OWASP's minimum Argon2id memory cost, in KiB (19 MiB).
const OWASP_M_COST: u32 = 19 * 1024;
/// OWASP's minimum Argon2id iteration count with 19 MiB.
const OWASP_T_COST: u32 = 2;
/// OWASP's Argon2id parallelism.
const OWASP_P_COST: u32 = 1;

impl fmt::Debug for HashPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HashPolicy")
            .field("algorithm", &"argon2id")
            .field("m_cost", &self.params.m_cost())
            .field("t_cost", &self.params.t_cost())
            .field("p_cost", &self.params.p_cost())
            .finish()
    }
}

impl HashPolicy {
    /// Argon2id with `m_cost` KiB of memory, `t_cost` iterations and `p_cost` lanes (the
    /// default, OWASP's minimums, is `argon2id(19 * 1024, 2, 1)`).
    ///
    /// # Errors
    ///
    /// If the parameters are out of Argon2's ranges.
    pub fn argon2id(m_cost: u32, t_cost: u32, p_cost: u32) -> Result<Self, HashError> {
        let params = Params::new(m_cost, t_cost, p_cost, None).map_err(|e| HashError::Hashing(e.to_string()))?;
        Ok(HashPolicy { params })
    }

    fn hasher(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    /// Hashes `password` with a fresh random salt into a PHC string (`$argon2id$v=19$…`):
    /// what to store at registration, or at a login for which
    /// [`needs_rehash`](Self::needs_rehash) said yes.
    ///
    /// At registration, hash the RFC 8265 form of the password,
    /// [`precis::password(p)`](crate::precis::password): it is what [`Basic`](crate::Basic)
    /// hands to verifiers by default (ASCII passwords are unchanged).
    ///
    /// # Errors
    ///
    /// If the operating system's RNG fails.
    pub fn hash(&self, password: &str) -> Result<String, HashError> {
        self.hasher()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| HashError::Hashing(e.to_string()))
    }

    /// Checks `password` against `stored`: a PHC string for Argon2i, Argon2d or Argon2id;
    /// with the `scrypt` feature, scrypt; with the `pbkdf2` feature, PBKDF2
    /// (`$pbkdf2-sha256$`, `$pbkdf2-sha512$`); with the `bcrypt` feature, a bcrypt hash
    /// (`$2a$`, `$2b$`, `$2y$`; passwords longer than 72 bytes are truncated, as bcrypt
    /// always did). Outputs are compared in constant time. Any policy checks any hash: the
    /// policy only matters for hashing and [`needs_rehash`](Self::needs_rehash).
    ///
    /// This is slow on purpose: call it from a [`HashPool`](super::HashPool), as
    /// [`HashedPasswords`](super::HashedPasswords) does.
    ///
    /// ```
    /// use tower_httpauth::store::{HashError, HashPolicy};
    ///
    /// let policy = HashPolicy::default();
    /// # #[cfg(feature = "bcrypt")] {
    /// // Python passlib: bcrypt.using(rounds=4).hash("correctbatteryhorsestapler")
    /// let stored = "$2b$04$EGdrhbKUv8Oc9vGiXX0HQOxSg445d458Muh7DAHskb6QbtCvdxcie";
    /// assert_eq!(policy.verify("correctbatteryhorsestapler", stored), Ok(true));
    /// assert_eq!(policy.verify("wrong", stored), Ok(false));
    /// # }
    /// assert_eq!(policy.verify("x", "$md5$nope"), Err(HashError::UnknownFormat));
    /// ```
    ///
    /// # Errors
    ///
    /// If `stored` has an unknown format, is malformed, or needs a feature that is off.
    pub fn verify(&self, password: &str, stored: &str) -> Result<bool, HashError> {
        verify(password, stored)
    }

    /// Whether `stored` should be replaced by a fresh [`hash`](Self::hash) at the next
    /// successful login: it is not Argon2id version 19, or its memory, time or
    /// parallelism cost is below this policy's, or it cannot be parsed.
    pub fn needs_rehash(&self, stored: &str) -> bool {
        let Ok(h) = PasswordHash::new(stored) else {
            return true;
        };
        if h.algorithm.as_str() != "argon2id" || h.version != Some(0x13) {
            return true;
        }
        let Ok(p) = Params::try_from(&h) else {
            return true;
        };
        p.m_cost() < self.params.m_cost() || p.t_cost() < self.params.t_cost() || p.p_cost() < self.params.p_cost()
    }
}

/// [`HashPolicy::verify`].
pub(crate) fn verify(password: &str, stored: &str) -> Result<bool, HashError> {
    let pw = password.as_bytes();
    if ["$2a$", "$2b$", "$2y$"].iter().any(|p| stored.starts_with(p)) {
        #[cfg(feature = "bcrypt")]
        return bcrypt::verify(pw, stored).map_err(|e| HashError::Malformed(e.to_string()));
        #[cfg(not(feature = "bcrypt"))]
        return Err(HashError::FeatureOff("bcrypt"));
    }
    let id = stored.strip_prefix('$').and_then(|s| s.split('$').next());
    match id {
        Some("argon2i" | "argon2d" | "argon2id") => {}
        #[cfg(feature = "scrypt")]
        Some("scrypt") => {}
        #[cfg(not(feature = "scrypt"))]
        Some("scrypt") => return Err(HashError::FeatureOff("scrypt")),
        #[cfg(feature = "pbkdf2")]
        Some("pbkdf2-sha256" | "pbkdf2-sha512") => {}
        #[cfg(not(feature = "pbkdf2"))]
        Some("pbkdf2-sha256" | "pbkdf2-sha512") => return Err(HashError::FeatureOff("pbkdf2")),
        _ => return Err(HashError::UnknownFormat),
    }
    let hash = PasswordHash::new(stored).map_err(|e| HashError::Malformed(e.to_string()))?;
    let result = match hash.algorithm.as_str() {
        #[cfg(feature = "scrypt")]
        "scrypt" => scrypt::Scrypt::new().verify_password(pw, &hash),
        #[cfg(feature = "pbkdf2")]
        "pbkdf2-sha256" | "pbkdf2-sha512" => pbkdf2::Pbkdf2::default().verify_password(pw, &hash),
        _ => Argon2::default().verify_password(pw, &hash),
    };
    match result {
        Ok(()) => Ok(true),
        Err(password_hash::Error::PasswordInvalid) => Ok(false),
        Err(e) => Err(HashError::Malformed(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> HashPolicy {
        HashPolicy::argon2id(256, 1, 1).unwrap()
    }

    #[test]
    fn argon2_variants_scrypt_pbkdf2_bcrypt() {
        use argon2::password_hash::PasswordHasher as _;
        let pw = b"hunter2";
        let params = Params::new(256, 1, 1, None).unwrap();
        for alg in [Algorithm::Argon2i, Algorithm::Argon2d, Algorithm::Argon2id] {
            let h = Argon2::new(alg, Version::V0x13, params.clone())
                .hash_password(pw)
                .unwrap()
                .to_string();
            assert_eq!(verify("hunter2", &h), Ok(true), "{h}");
            assert_eq!(verify("hunter3", &h), Ok(false), "{h}");
            assert!(HashPolicy::default().needs_rehash(&h));
        }
        #[cfg(feature = "scrypt")]
        {
            let scrypt = scrypt::Scrypt::from(scrypt::Params::new(4, 8, 1).unwrap())
                .hash_password(pw)
                .unwrap()
                .to_string();
            assert!(scrypt.starts_with("$scrypt$"));
            assert_eq!(verify("hunter2", &scrypt), Ok(true));
            assert_eq!(verify("hunter3", &scrypt), Ok(false));
        }
        #[cfg(feature = "pbkdf2")]
        {
            // RFC 6070-style PHC vector from the pbkdf2 crate.
            let pbkdf2 = "$pbkdf2-sha256$i=4096,l=40$c2FsdFNBTFRzYWx0U0FMVHNhbHRTQUxUc2FsdFNBTFRzYWx0$NIyJ28vTKy8y2BS4EW6EzysXNH68GAAYHE4qH7jdU+HGNVGMfaxH6Q";
            assert_eq!(verify("passwordPASSWORDpassword", pbkdf2), Ok(true));
            assert_eq!(verify("password", pbkdf2), Ok(false));
        }
        #[cfg(feature = "bcrypt")]
        for prefix in ["2a", "2b", "2y"] {
            let h = bcrypt::hash_with_result("hunter2", 4)
                .unwrap()
                .format_for_version(match prefix {
                    "2a" => bcrypt::Version::TwoA,
                    "2b" => bcrypt::Version::TwoB,
                    _ => bcrypt::Version::TwoY,
                });
            assert!(h.starts_with(&format!("${prefix}$04$")));
            assert_eq!(verify("hunter2", &h), Ok(true));
            assert_eq!(verify("hunter3", &h), Ok(false));
            assert!(HashPolicy::default().needs_rehash(&h));
        }
    }

    #[test]
    fn unknown_and_malformed() {
        assert_eq!(verify("x", "plain"), Err(HashError::UnknownFormat));
        assert_eq!(verify("x", "$sha1$1$abc$def"), Err(HashError::UnknownFormat));
        assert!(matches!(verify("x", "$argon2id$garbage"), Err(HashError::Malformed(_))));
        #[cfg(feature = "bcrypt")]
        assert!(matches!(verify("x", "$2y$05$short"), Err(HashError::Malformed(_))));
        assert!(HashPolicy::default().needs_rehash("garbage"));
    }

    #[test]
    fn formats_whose_feature_is_off_say_which_feature() {
        let cases: [(&str, &str, bool); 3] = [
            (
                "$2b$04$EGdrhbKUv8Oc9vGiXX0HQOxSg445d458Muh7DAHskb6QbtCvdxcie",
                "bcrypt",
                cfg!(feature = "bcrypt"),
            ),
            ("$scrypt$ln=2,r=8,p=1$c2FsdA$aGFzaA", "scrypt", cfg!(feature = "scrypt")),
            (
                "$pbkdf2-sha256$i=4096,l=40$c2FsdA$aGFzaA",
                "pbkdf2",
                cfg!(feature = "pbkdf2"),
            ),
        ];
        for (stored, feature, on) in cases {
            let got = verify("pw", stored);
            if on {
                assert_ne!(got, Err(HashError::FeatureOff(feature)), "{stored}");
            } else {
                assert_eq!(got, Err(HashError::FeatureOff(feature)), "{stored}");
            }
        }
    }

    #[test]
    fn policy_defaults_and_rehash() {
        let d = HashPolicy::default();
        assert_eq!((d.params.m_cost(), d.params.t_cost(), d.params.p_cost()), (19456, 2, 1));
        let weak = cheap().hash("pw").unwrap();
        assert!(d.needs_rehash(&weak));
        assert!(!cheap().needs_rehash(&weak));
        let stronger = HashPolicy::argon2id(512, 2, 1).unwrap().hash("pw").unwrap();
        assert!(!cheap().needs_rehash(&stronger));
        assert!(HashPolicy::argon2id(0, 0, 0).is_err());
    }
}
