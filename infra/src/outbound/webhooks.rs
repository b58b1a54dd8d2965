//! Webhook deliveries: Standard Webhooks signatures over the shared client.

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use smrm_domain::model::integrations::{SendOutcome, webhook_id};
use smrm_domain::ports::{Outgoing, WebhookSender};

use super::{Http, describe};

/// The Standard Webhooks signature of one message with one secret:
/// `v1,` and the base64 HMAC-SHA256 of `{id}.{timestamp}.{body}`, keyed
/// with the secret's bytes (the base64 after `whsec_`).
pub fn sign(secret: &str, message_id: &str, timestamp: i64, body: &str) -> String {
    let encoded = secret.strip_prefix("whsec_").unwrap_or(secret);
    let key = B64.decode(encoded).unwrap_or_else(|_| encoded.as_bytes().to_vec());
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes keys of any length");
    mac.update(format!("{message_id}.{timestamp}.").as_bytes());
    mac.update(body.as_bytes());
    format!("v1,{}", B64.encode(mac.finalize().into_bytes()))
}

/// Delivers webhooks over HTTP(S).
pub struct HttpWebhookSender {
    http: Http,
}

impl HttpWebhookSender {
    pub fn new(http: Http) -> Self {
        Self { http }
    }
}

#[async_trait]
impl WebhookSender for HttpWebhookSender {
    async fn send(&self, out: &Outgoing<'_>) -> SendOutcome {
        let req = match self.http.request(reqwest::Method::POST, out.url) {
            Ok(req) => req,
            Err(e) => return SendOutcome::Failed(e),
        };
        let id = webhook_id(out.message_id);
        let signatures: Vec<String> = out.secrets.iter().map(|s| sign(s, &id, out.timestamp, out.body)).collect();
        let sent = req
            .header("content-type", "application/json")
            .header("webhook-id", id.as_str())
            .header("webhook-timestamp", out.timestamp.to_string())
            .header("webhook-signature", signatures.join(" "))
            .body(out.body.to_owned())
            .send()
            .await;
        match sent {
            Ok(resp) if resp.status().is_success() => SendOutcome::Delivered(resp.status().as_u16()),
            Ok(resp) => SendOutcome::Rejected(resp.status().as_u16()),
            Err(e) => SendOutcome::Failed(describe(&e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_as_the_standard_webhooks_reference_does() {
        // The test vector of the Standard Webhooks specification's libraries.
        let sig = sign(
            "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
            "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
            1649367553,
            r#"{"email":"test@example.com","username":"test_user"}"#,
        );
        assert_eq!(sig, "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=");
    }
}
