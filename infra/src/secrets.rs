//! Secrets at rest: ChaCha20-Poly1305 (ring) under the operator's key
//! (`SMRM_SECRETS_KEY`), a fresh random nonce per value, and the sealed
//! value bound to where it is stored (its tenant and row) as associated
//! data. Each sealed value names the key that sealed it by a short
//! fingerprint, so keys can rotate: the current key seals, the current and
//! every previous key open.

use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use sha2::{Digest, Sha256};
use smrm_domain::model::credentials::{Sealed, Secret};
use smrm_domain::ports::SecretBox;
use smrm_domain::{DomainError, DomainResult};

/// A 32-byte key, as `SMRM_SECRETS_KEY` gives it (64 hex characters).
#[derive(Clone, PartialEq, Eq)]
pub struct SecretsKey([u8; 32]);

impl SecretsKey {
    pub fn from_hex(hex: &str) -> Result<Self, String> {
        let hex = hex.trim();
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err("must be 32 bytes as 64 hex characters (e.g. `openssl rand -hex 32`)".into());
        }
        let mut key = [0u8; 32];
        for (i, byte) in key.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("checked hex");
        }
        Ok(Self(key))
    }

    pub fn random() -> Self {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).expect("the OS random source works");
        Self(key)
    }

    pub fn to_hex(&self) -> String {
        crate::crypto::hex(&self.0)
    }

    /// What sealed values store to name this key: not the key, and no
    /// use to anyone without it.
    fn version(&self) -> String {
        let digest = Sha256::new().chain_update(b"smrm secrets key version\0").chain_update(self.0).finalize();
        crate::crypto::hex(&digest[..8])
    }
}

impl std::fmt::Debug for SecretsKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretsKey({})", self.version())
    }
}

pub struct SealingKeys {
    current: (String, LessSafeKey),
    previous: Vec<(String, LessSafeKey)>,
}

fn aead(key: &SecretsKey) -> (String, LessSafeKey) {
    let unbound = UnboundKey::new(&CHACHA20_POLY1305, &key.0).expect("a 32-byte key");
    (key.version(), LessSafeKey::new(unbound))
}

impl SealingKeys {
    /// `current` seals; `previous` (older keys, after a rotation) still open.
    pub fn new(current: &SecretsKey, previous: &[SecretsKey]) -> Self {
        Self { current: aead(current), previous: previous.iter().map(aead).collect() }
    }
}

impl SecretBox for SealingKeys {
    fn seal(&self, aad: &[u8], secret: &Secret) -> Sealed {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).expect("the OS random source works");
        let mut data = secret.expose().as_bytes().to_vec();
        self.current
            .1
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad), &mut data)
            .expect("sealing a short value cannot fail");
        Sealed { key_version: self.current.0.clone(), nonce: nonce.to_vec(), ciphertext: data }
    }

    fn open(&self, aad: &[u8], sealed: &Sealed) -> DomainResult<Secret> {
        let key = std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|(version, _)| *version == sealed.key_version)
            .ok_or_else(|| {
                DomainError::Internal(format!(
                    "the secret was sealed with key {}, which is not configured (SMRM_SECRETS_KEY, SMRM_SECRETS_KEY_PREVIOUS)",
                    sealed.key_version
                ))
            })?;
        let nonce: [u8; NONCE_LEN] = sealed
            .nonce
            .as_slice()
            .try_into()
            .map_err(|_| DomainError::Internal("a stored nonce is corrupt".into()))?;
        let mut data = sealed.ciphertext.clone();
        let plain = key
            .1
            .open_in_place(Nonce::assume_unique_for_key(nonce), Aad::from(aad), &mut data)
            .map_err(|_| DomainError::Internal("a stored secret does not open: tampered with, or moved".into()))?;
        let text =
            std::str::from_utf8(plain).map_err(|_| DomainError::Internal("a stored secret is not text".into()))?;
        Ok(Secret::new(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_only_with_their_key_and_place() {
        let (old, new) = (SecretsKey::random(), SecretsKey::random());
        let before = SealingKeys::new(&old, &[]);
        let sealed = before.seal(b"tenant-1/cred-1", &Secret::new("vk1.a.token"));
        assert!(!sealed.ciphertext.windows(5).any(|w| w == b"token"), "the secret is not stored in the clear");
        assert_eq!(before.open(b"tenant-1/cred-1", &sealed).unwrap().expose(), "vk1.a.token");
        assert!(before.open(b"tenant-2/cred-1", &sealed).is_err(), "bound to its place");
        let again = before.seal(b"tenant-1/cred-1", &Secret::new("vk1.a.token"));
        assert_ne!(again.nonce, sealed.nonce, "a nonce per value");

        // Rotated: the new key seals, the old one still opens what it sealed.
        let after = SealingKeys::new(&new, std::slice::from_ref(&old));
        assert_eq!(after.open(b"tenant-1/cred-1", &sealed).unwrap().expose(), "vk1.a.token");
        assert_ne!(after.seal(b"x", &Secret::new("s")).key_version, sealed.key_version);
        assert!(
            SealingKeys::new(&new, &[]).open(b"tenant-1/cred-1", &sealed).is_err(),
            "without the old key it does not open"
        );
    }

    #[test]
    fn keys_come_as_64_hex_characters() {
        let k = SecretsKey::random();
        assert_eq!(SecretsKey::from_hex(&k.to_hex()).unwrap(), k);
        assert!(SecretsKey::from_hex("abc").is_err());
        assert!(!format!("{k:?}").contains(&k.to_hex()));
    }
}
