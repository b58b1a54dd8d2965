//! The `data` of webhook events: the subject as the API shows it, so a
//! receiver parses a mention in a webhook exactly as in `GET /v1/mentions/{id}`.

use std::sync::Arc;

use async_trait::async_trait;
use smrm_domain::ids::{AlertId, MentionId, TenantId};
use smrm_domain::model::integrations::Event;
use smrm_domain::ports::{AlertRepository, EventPayloads, InboxRepository};
use smrm_domain::{DomainError, DomainResult};
use uuid::Uuid;

use crate::routes::alert_rules::dto::AlertDto;
use crate::routes::mentions::dto::MentionDto;

pub struct ApiPayloads {
    pub mentions: Arc<dyn InboxRepository>,
    pub alerts: Arc<dyn AlertRepository>,
}

fn json(value: impl serde::Serialize) -> DomainResult<Option<serde_json::Value>> {
    serde_json::to_value(value).map(Some).map_err(|e| DomainError::Internal(format!("event data: {e}")))
}

#[async_trait]
impl EventPayloads for ApiPayloads {
    async fn data(&self, tenant: TenantId, event: Event, subject: Uuid) -> DomainResult<Option<serde_json::Value>> {
        match event {
            Event::MentionCreated | Event::MentionNegative => {
                match self.mentions.get_mention(tenant, MentionId(subject)).await {
                    Ok(m) => json(MentionDto::from(m)),
                    Err(DomainError::NotFound(_)) => Ok(None),
                    Err(e) => Err(e),
                }
            }
            Event::AlertTriggered => match self.alerts.get_alert(tenant, AlertId(subject)).await {
                Ok(a) => json(AlertDto::from(a)),
                Err(DomainError::NotFound(_)) => Ok(None),
                Err(e) => Err(e),
            },
        }
    }
}
