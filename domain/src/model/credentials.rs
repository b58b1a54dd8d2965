//! A tenant's keys for platform APIs. The secret goes in once, is sealed
//! (encrypted with a key only the operator holds) before it is stored, and
//! is opened only to call the platform: it is never answered or logged.

use chrono::{DateTime, Utc};

use crate::error::{DomainResult, Violations};
use crate::ids::{CredentialId, TenantId};
use crate::model::mention::str_enum;

str_enum!(
    /// The platform a credential is for.
    CredentialKind { Vk => "vk", Youtube => "youtube", Reddit => "reddit" }
);
str_enum!(
    /// `invalid`: the platform refused it (a revoked token, a wrong key);
    /// sources using it fail until it is replaced.
    CredentialStatus { Ok => "ok", Invalid => "invalid" }
);

pub const NAME_MAX_CHARS: usize = 200;
pub const SECRET_MAX_BYTES: usize = 4096;

#[derive(Debug, Clone, PartialEq)]
pub struct Credential {
    pub id: CredentialId,
    pub tenant_id: TenantId,
    pub kind: CredentialKind,
    pub name: String,
    pub status: CredentialStatus,
    pub last_used_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// A secret in the clear: its `Debug` never shows it, and nothing but the
/// connector that sends it to its platform reads it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

const SEALED_PREFIX: &str = "sealed:v1:";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

impl Sealed {
    /// As one text value, for a column that held the secret in the clear
    /// (`sealed:v1:<key>:<nonce>:<ciphertext>`, hex).
    pub fn to_text(&self) -> String {
        format!("{SEALED_PREFIX}{}:{}:{}", self.key_version, hex(&self.nonce), hex(&self.ciphertext))
    }

    /// `None`: not a sealed value (a secret stored in the clear before
    /// secrets were sealed).
    pub fn from_text(text: &str) -> Option<Sealed> {
        let mut parts = text.strip_prefix(SEALED_PREFIX)?.split(':');
        let (key_version, nonce, ciphertext) = (parts.next()?, parts.next()?, parts.next()?);
        Some(Sealed { key_version: key_version.to_owned(), nonce: unhex(nonce)?, ciphertext: unhex(ciphertext)? })
    }

    pub fn is_sealed_text(text: &str) -> bool {
        text.starts_with(SEALED_PREFIX)
    }
}

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// A secret as stored: encrypted under the key `key_version` names, with
/// the nonce it was sealed with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub key_version: String,
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct CredentialInput {
    pub kind: CredentialKind,
    pub name: String,
    pub secret: Secret,
}

impl CredentialInput {
    pub fn validate(self) -> DomainResult<CredentialInput> {
        let mut v = Violations::new();
        let name = self.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > NAME_MAX_CHARS {
            v.add("name", format!("must be 1 to {NAME_MAX_CHARS} characters"));
        }
        let secret = self.secret.expose().trim();
        if secret.is_empty() || secret.len() > SECRET_MAX_BYTES || secret.chars().any(char::is_control) {
            v.add("secret", format!("must be 1 to {SECRET_MAX_BYTES} bytes of printable text"));
        } else if self.kind == CredentialKind::Reddit
            && !secret.split_once(':').is_some_and(|(id, s)| !id.is_empty() && !s.is_empty())
        {
            v.add("secret", "a Reddit credential is `client_id:client_secret`");
        }
        let secret = Secret::new(secret);
        v.finish(CredentialInput { kind: self.kind, name, secret })
    }
}

/// What binds a webhook's sealed signing secrets to their endpoint.
pub fn webhook_aad(tenant: TenantId, id: crate::ids::WebhookId) -> Vec<u8> {
    format!("smrm:webhook:{}:{}", tenant.0, id.0).into_bytes()
}

/// What binds a sealed secret to its row: a ciphertext copied to another
/// credential or tenant does not open.
pub fn credential_aad(tenant: TenantId, id: CredentialId) -> Vec<u8> {
    format!("smrm:credential:{}:{}", tenant.0, id.0).into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_never_shown_by_debug() {
        let input = CredentialInput { kind: CredentialKind::Vk, name: "main".into(), secret: Secret::new("vk1.a.XYZ") };
        assert!(!format!("{input:?}").contains("XYZ"));
    }

    #[test]
    fn sealed_values_round_trip_as_text() {
        let sealed = Sealed { key_version: "ab12".into(), nonce: vec![0, 1, 255], ciphertext: vec![9; 20] };
        assert_eq!(Sealed::from_text(&sealed.to_text()), Some(sealed));
        assert_eq!(Sealed::from_text("whsec_plain"), None);
        assert!(!Sealed::is_sealed_text("whsec_plain"));
    }

    #[test]
    fn secrets_are_checked_per_kind() {
        let bad = CredentialInput { kind: CredentialKind::Reddit, name: " ".into(), secret: Secret::new("nocolon") };
        let crate::DomainError::Invalid(errors) = bad.validate().unwrap_err() else { panic!() };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "secret"]);
        let ok = CredentialInput { kind: CredentialKind::Reddit, name: "app".into(), secret: Secret::new(" id:s \n") };
        assert_eq!(ok.validate().unwrap().secret.expose(), "id:s");
    }
}
