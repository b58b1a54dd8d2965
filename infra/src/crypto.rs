//! Password hashing (argon2id) and bearer-secret randomness and digests.

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use async_trait::async_trait;
use sha2::{Digest, Sha256};
use smrm_domain::ports::{PasswordHasher, SecretSource};
use smrm_domain::{DomainError, DomainResult};

/// argon2id with the OWASP-recommended parameters (19 MiB, 2 passes, 1 lane),
/// run on tokio's blocking pool so it never stalls request handling.
#[derive(Clone)]
pub struct Argon2Hasher {
    params: Params,
    /// A real hash of a random password, verified against when the address is
    /// unknown, so both failures take the same time.
    decoy: String,
}

impl Argon2Hasher {
    pub fn new() -> Self {
        let params = Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters");
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
        let salt = new_salt();
        let decoy = argon.hash_password(b"decoy password, never matched", &salt).expect("hash").to_string();
        Self { params, decoy }
    }

    fn argon(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }
}

impl Default for Argon2Hasher {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: &str) -> DomainResult<String> {
        let argon = self.argon();
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || {
            let salt = new_salt();
            argon.hash_password(password.as_bytes(), &salt).map(|h| h.to_string())
        })
        .await
        .map_err(|e| DomainError::Internal(format!("hashing task failed: {e}")))?
        .map_err(|e| DomainError::Internal(format!("argon2: {e}")))
    }

    async fn verify(&self, password: &str, hash: Option<&str>) -> bool {
        let argon = self.argon();
        let password = password.to_owned();
        let known = hash.is_some();
        let hash = hash.unwrap_or(&self.decoy).to_owned();
        tokio::task::spawn_blocking(move || {
            PasswordHash::new(&hash).is_ok_and(|h| argon.verify_password(password.as_bytes(), &h).is_ok())
        })
        .await
        .unwrap_or(false)
            && known
    }
}

/// Secrets from the operating system's CSPRNG; SHA-256 digests (bearer secrets
/// carry 190 bits of entropy, so a slow hash would add nothing but latency).
pub struct OsSecrets;

const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

impl SecretSource for OsSecrets {
    fn random_alphanumeric(&self, len: usize) -> String {
        let mut out = String::with_capacity(len);
        let mut buf = [0u8; 64];
        while out.len() < len {
            getrandom::fill(&mut buf).expect("the OS random source works");
            // Rejection sampling keeps every character equally likely.
            for b in buf {
                if (b as usize) < ALPHABET.len() * 4 && out.len() < len {
                    out.push(ALPHABET[b as usize % ALPHABET.len()] as char);
                }
            }
        }
        out
    }

    fn digest(&self, secret: &str) -> String {
        hex(&Sha256::digest(secret.as_bytes()))
    }

    fn webhook_secret(&self) -> String {
        use base64::Engine as _;
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).expect("the OS random source works");
        format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(key))
    }
}

fn new_salt() -> SaltString {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the OS random source works");
    SaltString::encode_b64(&bytes).expect("16 bytes make a valid salt")
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let h = Argon2Hasher::new();
        let hash = h.hash("correct horse battery").await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(h.verify("correct horse battery", Some(&hash)).await);
        assert!(!h.verify("wrong horse battery", Some(&hash)).await);
        assert!(!h.verify("decoy password, never matched", None).await);
    }

    #[test]
    fn secrets_are_alphanumeric_and_distinct() {
        let a = OsSecrets.random_alphanumeric(32);
        let b = OsSecrets.random_alphanumeric(32);
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a, b);
        assert_eq!(OsSecrets.digest("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
