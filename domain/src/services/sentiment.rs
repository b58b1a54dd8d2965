//! A tenant's sentiment model: what it learnt from its corrections, its own
//! model service, and scoring texts on demand with whatever scores its posts.

use std::sync::Arc;

use crate::error::{DomainResult, Violations};
use crate::model::access::Principal;
use crate::model::brand::ISO_639_1;
use crate::model::mention::Sentiment;
use crate::model::sentiment::{ModelEndpoint, ModelState};
use crate::ports::{SentimentAnalyzer, SentimentRepository, SentimentTrainer, TextToScore};

/// Texts per `analyze` call, and characters per text.
pub const ANALYZE_MAX_TEXTS: usize = 100;
pub const ANALYZE_MAX_CHARS: usize = 20_000;
/// Characters per target.
pub const ANALYZE_MAX_TARGET_CHARS: usize = 200;

pub struct SentimentService {
    pub repo: Arc<dyn SentimentRepository>,
    pub analyzer: Arc<dyn SentimentAnalyzer>,
    pub trainer: Arc<dyn SentimentTrainer>,
    /// `SMRM_OUTBOUND_ALLOW_PRIVATE`.
    pub allow_private: bool,
}

impl SentimentService {
    /// The built-in weights' version.
    pub fn builtin_version(&self) -> String {
        self.trainer.builtin_version()
    }

    /// Trains one due tenant adaptation, if any (the adaptation worker).
    pub async fn adapt_once(&self) -> DomainResult<bool> {
        self.trainer.adapt_once().await
    }

    pub async fn state(&self, who: &Principal) -> DomainResult<ModelState> {
        self.repo.model_state(who.tenant_id).await
    }

    /// Points the tenant at its own model service (`Some`), or back at the
    /// built-in model (`None`).
    pub async fn set_endpoint(
        &self,
        who: &Principal,
        endpoint: Option<(String, Option<u32>)>,
    ) -> DomainResult<ModelState> {
        let endpoint =
            endpoint.map(|(url, timeout)| ModelEndpoint::validate(url, timeout, self.allow_private)).transpose()?;
        self.repo.set_endpoint(who.tenant_id, endpoint.as_ref()).await?;
        self.state(who).await
    }

    /// Scores texts as the tenant's next posts would be scored: `targets[i]`,
    /// when given, is what the sentiment of `texts[i]` is toward (a string as
    /// it occurs in it, as a brand's matched words would), else the whole text.
    pub async fn analyze(
        &self,
        who: &Principal,
        texts: &[String],
        targets: Option<&[Option<String>]>,
        language: Option<&str>,
    ) -> DomainResult<Vec<Sentiment>> {
        let mut v = Violations::new();
        if texts.is_empty() || texts.len() > ANALYZE_MAX_TEXTS {
            v.add("texts", format!("must hold 1 to {ANALYZE_MAX_TEXTS} texts"));
            return v.finish(Vec::new());
        }
        for (i, t) in texts.iter().enumerate() {
            if v.is_full() {
                break;
            }
            if t.trim().is_empty() {
                v.add(format!("texts[{i}]"), "must not be empty");
            } else if t.chars().count() > ANALYZE_MAX_CHARS {
                v.add(format!("texts[{i}]"), format!("must be at most {ANALYZE_MAX_CHARS} characters"));
            }
        }
        if let Some(targets) = targets {
            if targets.len() != texts.len() {
                v.add("targets", format!("must have one entry per text ({}), `null` for the whole text", texts.len()));
            }
            for (i, (target, text)) in targets.iter().zip(texts).enumerate() {
                let Some(target) = target else { continue };
                if v.is_full() {
                    break;
                }
                if target.trim().is_empty() {
                    v.add(format!("targets[{i}]"), "must not be empty (`null` scores the whole text)");
                } else if target.chars().count() > ANALYZE_MAX_TARGET_CHARS {
                    v.add(format!("targets[{i}]"), format!("must be at most {ANALYZE_MAX_TARGET_CHARS} characters"));
                } else if text.chars().count() <= ANALYZE_MAX_CHARS
                    && crate::text::places(&crate::text::fold(text), &[target]).is_empty()
                {
                    v.add(
                        format!("targets[{i}]"),
                        format!("must occur in texts[{i}] as whole words (case and `ё`/`е` do not matter)"),
                    );
                }
            }
        }
        if let Some(l) = language
            && !ISO_639_1.contains(&l)
        {
            v.add("language", "must be an ISO 639-1 code such as `ru` or `en`");
        }
        v.finish(())?;
        let wanted: Vec<Vec<String>> =
            (0..texts.len()).map(|i| targets.and_then(|t| t.get(i).cloned().flatten()).into_iter().collect()).collect();
        let texts: Vec<TextToScore<'_>> = texts
            .iter()
            .zip(&wanted)
            .map(|(t, targets)| TextToScore { text: t, language, folded: None, targets })
            .collect();
        Ok(self.analyzer.analyze(who.tenant_id, &texts).await)
    }
}
