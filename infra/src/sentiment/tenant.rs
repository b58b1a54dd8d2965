//! Sentiment per tenant: the shared model plus the tenant's adaptation to
//! its corrections, or the tenant's own HTTP model service (the operator's,
//! `SMRM_SENTIMENT_URL`, for every tenant without one), with the built-in
//! model answering whenever the service fails.
//!
//! A model service gets `POST {url}` with
//! `{"tenant_id": "…", "texts": [{"text": "…", "language": "ru" | null,
//! "targets"?: ["…"]}]}` (`targets`: the words of the text the sentiment is
//! toward, a brand's matched words; absent: the whole text's)
//! and answers 200 with `{"results": [{"label": "positive" | "neutral" |
//! "negative", "score": -1…1 (optional)}]}`, one result per text, in order,
//! within its timeout. Any other answer, or none in time, and the batch is
//! scored by the built-in model instead (logged as a warning).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use smrm_domain::error::{DomainError, DomainResult};
use smrm_domain::ids::TenantId;
use smrm_domain::model::mention::{Sentiment, SentimentLabel, SentimentOrigin};
use smrm_domain::model::sentiment::{ADAPTATION_MAX_CORRECTIONS, ModelEndpoint};
use smrm_domain::ports::{Clock, SentimentAnalyzer, SentimentRepository, SentimentTrainer, TextToScore};

use crate::outbound::{Http, read_limited};

use super::BuiltinSentiment;
use super::model::Adaptation;
use super::target::Place;

/// A training run older than this is taken over by another worker.
const STALE_CLAIM: chrono::Duration = chrono::Duration::minutes(10);

pub struct TenantSentiment {
    shared: BuiltinSentiment,
    repo: Arc<dyn SentimentRepository>,
    clock: Arc<dyn Clock>,
    /// Adaptations by tenant, with the version they are of.
    adaptations: moka::sync::Cache<TenantId, (i64, Arc<Adaptation>)>,
    /// The operator's model service, for tenants that name none.
    default_endpoint: Option<ModelEndpoint>,
    http: Http,
}

impl TenantSentiment {
    pub fn new(
        shared: BuiltinSentiment,
        repo: Arc<dyn SentimentRepository>,
        clock: Arc<dyn Clock>,
        default_endpoint: Option<ModelEndpoint>,
        http: Http,
    ) -> Self {
        Self { shared, repo, clock, adaptations: moka::sync::Cache::new(10_000), default_endpoint, http }
    }

    /// The tenant's adaptation at `version` (0: none).
    async fn adaptation(&self, tenant: TenantId, version: i64) -> Option<Arc<Adaptation>> {
        if version == 0 {
            return None;
        }
        if let Some((v, a)) = self.adaptations.get(&tenant)
            && v == version
        {
            return Some(a);
        }
        let (v, bytes) = match self.repo.adaptation(tenant).await {
            Ok(Some(found)) => found,
            Ok(None) => return None,
            Err(e) => {
                tracing::warn!(%tenant, error = %e, "could not read the tenant's sentiment adaptation");
                return None;
            }
        };
        match Adaptation::from_bytes(&bytes) {
            Ok(a) => {
                let a = Arc::new(a);
                self.adaptations.insert(tenant, (v, a.clone()));
                Some(a)
            }
            Err(e) => {
                tracing::error!(%tenant, error = %e, "the tenant's stored sentiment adaptation is unreadable");
                None
            }
        }
    }
}

/// The built-in weights' version: the start of their SHA-256.
static VERSION: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    use sha2::{Digest, Sha256};
    Sha256::digest(super::SHIPPED_WEIGHTS).iter().take(8).map(|b| format!("{b:02x}")).collect()
});

#[async_trait]
impl SentimentTrainer for TenantSentiment {
    fn builtin_version(&self) -> String {
        VERSION.clone()
    }

    /// Trains the adaptation of one tenant whose corrections moved on, if
    /// any; `true` when one ran. The training runs off the async workers.
    async fn adapt_once(&self) -> DomainResult<bool> {
        let now = self.clock.now();
        let Some(claim) = self.repo.claim_adaptation(now, now - STALE_CLAIM).await? else {
            return Ok(false);
        };
        let corrections = self.repo.corrections(claim.tenant_id, ADAPTATION_MAX_CORRECTIONS).await?;
        let trained_on = corrections.len() as u64;
        let shared = self.shared.clone();
        let bytes = tokio::task::spawn_blocking(move || shared.adapt(&corrections).to_bytes())
            .await
            .map_err(|e| DomainError::Internal(format!("adaptation training failed: {e}")))?;
        self.repo.save_adaptation(&claim, &bytes, trained_on, self.clock.now()).await?;
        tracing::info!(tenant = %claim.tenant_id, trained_on, bytes = bytes.len(), "sentiment adaptation trained");
        Ok(true)
    }
}

#[async_trait]
impl SentimentAnalyzer for TenantSentiment {
    async fn analyze(&self, tenant: TenantId, texts: &[TextToScore<'_>]) -> Vec<Sentiment> {
        if texts.is_empty() {
            return Vec::new();
        }
        let choice = self.repo.model_choice(tenant).await.unwrap_or_else(|e| {
            tracing::warn!(%tenant, error = %e, "could not read the tenant's model choice; using the built-in model");
            Default::default()
        });
        if let Some(endpoint) = choice.endpoint.as_ref().or(self.default_endpoint.as_ref()) {
            match remote_scores(&self.http, endpoint, tenant, texts).await {
                Ok(scores) => return scores,
                Err(e) => {
                    tracing::warn!(%tenant, url = %smrm_domain::model::integrations::redacted_url(&endpoint.url), error = %e,
                    "the model service failed; the built-in model scored the batch")
                }
            }
        }
        let adaptation = self.adaptation(tenant, choice.adaptation_version).await;
        let mut out = Vec::with_capacity(texts.len());
        // Runs of entries of one text are read once.
        for run in texts.chunk_by(|a, b| std::ptr::eq(a.text, b.text)) {
            let owned;
            let folded = match run[0].folded {
                Some(f) => f,
                None => {
                    owned = smrm_domain::text::fold(run[0].text);
                    &owned
                }
            };
            let targets: Vec<Vec<Place>> = run
                .iter()
                .filter(|t| !t.targets.is_empty())
                .map(|t| smrm_domain::text::places(folded, t.targets))
                .collect();
            let (whole, toward) = self.shared.score_all(run[0].text, folded, &targets, adaptation.as_deref());
            let mut toward = toward.into_iter();
            out.extend(run.iter().map(|t| if t.targets.is_empty() { whole } else { toward.next().unwrap_or(whole) }));
        }
        out
    }
}

#[derive(Serialize)]
struct RemoteRequest<'a> {
    tenant_id: TenantId,
    texts: Vec<RemoteText<'a>>,
}

#[derive(Serialize)]
struct RemoteText<'a> {
    text: &'a str,
    language: Option<&'a str>,
    /// What the sentiment is toward (the brand's matched words), when it is
    /// toward a target and not the whole text.
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    targets: &'a [String],
}

#[derive(Deserialize)]
struct RemoteResponse {
    results: Vec<RemoteResult>,
}

#[derive(Deserialize)]
struct RemoteResult {
    label: String,
    score: Option<f64>,
}

/// Asks a model service; any failure is an error the caller falls back from.
async fn remote_scores(
    http: &Http,
    endpoint: &ModelEndpoint,
    tenant: TenantId,
    texts: &[TextToScore<'_>],
) -> Result<Vec<Sentiment>, String> {
    let req = http.request(reqwest::Method::POST, &endpoint.url)?;
    let body = RemoteRequest {
        tenant_id: tenant,
        texts: texts.iter().map(|t| RemoteText { text: t.text, language: t.language, targets: t.targets }).collect(),
    };
    let timeout = Duration::from_millis(u64::from(endpoint.timeout_ms));
    let work = async {
        let resp = req
            .timeout(timeout)
            .json(&body)
            .send()
            .await
            .map_err(|e| format!("request failed: {}", crate::outbound::describe(&e)))?;
        if !resp.status().is_success() {
            return Err(format!("answered {}", resp.status().as_u16()));
        }
        let bytes = read_limited(resp, 8 << 20).await?;
        serde_json::from_slice::<RemoteResponse>(&bytes).map_err(|e| format!("unreadable answer: {e}"))
    };
    // The whole exchange, body included, within the timeout.
    let answer = tokio::time::timeout(timeout, work).await.map_err(|_| "timed out".to_owned())??;
    if answer.results.len() != texts.len() {
        return Err(format!("{} results for {} texts", answer.results.len(), texts.len()));
    }
    answer
        .results
        .into_iter()
        .map(|r| {
            let label = SentimentLabel::parse(&r.label).ok_or_else(|| format!("unknown label `{}`", r.label))?;
            let pole = Sentiment::labelled(label, SentimentOrigin::Auto).score;
            let score = r.score.filter(|s| s.is_finite()).unwrap_or(pole).clamp(-1.0, 1.0);
            Ok(Sentiment { label, score, origin: SentimentOrigin::Auto })
        })
        .collect()
}
