//! The mention pipeline: batch ingest (validate, deduplicate, match, score,
//! store), the inbox, and backfill after a brand's query changed.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use crate::error::{DomainError, DomainResult, Violations};
use crate::ids::{BrandId, MentionId, PostId, TenantId};
use crate::model::access::{BrandScope, Principal};
use crate::model::mention::{
    Mention, MentionFilter, MentionLink, MentionOrder, MentionPage, MentionPatch, NewMention, NewPost, Post, PostInput,
    Sentiment, SentimentLabel, SentimentOrigin, check_batch, check_tags,
};
use crate::ports::{
    BackfillRepository, BrandMatcher, BrandQuery, BrandRepository, Clock, InboxRepository, IngestOutcome,
    IngestRepository, MatcherFactory, MentionFields, ReportCache, SentimentAnalyzer, Telemetry, TextToScore,
    UserRepository,
};
use crate::services::alerts::AlertService;
use crate::text::detect_language;
use chrono::SubsecRound;

pub struct MentionService {
    ports: MentionPorts,
    /// Each tenant's compiled queries, keyed by its brand version, so a
    /// change on any replica is seen by the next batch on every replica.
    compiled: Mutex<HashMap<TenantId, CompiledQueries>>,
}

/// What the mention pipeline is wired to.
pub struct MentionPorts {
    pub ingests: Arc<dyn IngestRepository>,
    pub inbox: Arc<dyn InboxRepository>,
    pub backfills: Arc<dyn BackfillRepository>,
    pub brands: Arc<dyn BrandRepository>,
    pub users: Arc<dyn UserRepository>,
    pub matchers: Arc<dyn MatcherFactory>,
    pub analyzer: Arc<dyn SentimentAnalyzer>,
    pub cache: Arc<dyn ReportCache>,
    pub clock: Arc<dyn Clock>,
    /// Checked after every ingest: a spike a batch made fires at once.
    pub alerts: Arc<AlertService>,
    pub telemetry: Arc<dyn Telemetry>,
}

impl std::ops::Deref for MentionService {
    type Target = MentionPorts;

    fn deref(&self) -> &MentionPorts {
        &self.ports
    }
}

/// A tenant's matcher and the brand version it was compiled from.
type CompiledQueries = (i64, Arc<dyn BrandMatcher>);

/// Posts read per backfill step.
const BACKFILL_PAGE: u32 = 1000;

impl MentionService {
    pub fn new(ports: MentionPorts) -> Self {
        Self { ports, compiled: Mutex::new(HashMap::new()) }
    }

    /// The tenant's compiled queries and the brand version they are of.
    async fn matcher(&self, tenant: TenantId) -> DomainResult<CompiledQueries> {
        let version = self.ingests.brand_version(tenant).await?;
        if let Some((v, m)) = self.compiled.lock().expect("matcher cache").get(&tenant)
            && *v == version
        {
            return Ok((version, m.clone()));
        }
        let queries = self.ingests.brand_queries(tenant).await?;
        let matcher: Arc<dyn BrandMatcher> = Arc::from(self.matchers.compile(queries));
        self.compiled.lock().expect("matcher cache").insert(tenant, (version, matcher.clone()));
        Ok((version, matcher))
    }

    /// Ingests a batch: all or nothing. Invalid items reject the whole batch
    /// (422, every error naming its item); otherwise new posts are stored once,
    /// matched against every brand of the tenant (or linked to `brand_id`),
    /// scored, and each match becomes a mention with the next `seq`.
    ///
    /// Every way posts come in takes this one path (a pushed batch, each
    /// connector's poll, a platform's callback): then the stored batch is
    /// counted for the operators, and the tenant's alert rules are checked
    /// for the brands it touched (a failure there does not fail the batch:
    /// the brand's next batch checks again).
    pub async fn ingest(&self, who: &Principal, items: Vec<PostInput>) -> DomainResult<(usize, IngestOutcome)> {
        self.ingest_for(who.tenant_id, items).await
    }

    /// `ingest` for the tenant's own connectors (no caller to scope).
    pub async fn ingest_for(&self, tenant: TenantId, items: Vec<PostInput>) -> DomainResult<(usize, IngestOutcome)> {
        let (received, outcome) = self.store_batch(tenant, items).await?;
        self.telemetry.ingested(received, outcome.duplicates, outcome.unmatched, outcome.created.len());
        if let Err(e) = self.alerts.evaluate(tenant, &outcome.brands).await {
            tracing::warn!(%tenant, error = %e, "checking alert rules after ingest failed");
        }
        Ok((received, outcome))
    }

    /// Validates, deduplicates, matches, scores and stores one batch.
    async fn store_batch(&self, tenant: TenantId, mut items: Vec<PostInput>) -> DomainResult<(usize, IngestOutcome)> {
        let now = self.clock.now();
        let named: Vec<BrandId> = items.iter().filter_map(|p| p.brand_id).collect::<HashSet<_>>().into_iter().collect();
        let unknown: HashSet<BrandId> = self.brands.missing_brands(tenant, &named).await?.into_iter().collect();
        let errors = check_batch(&items, &unknown, now);
        if !errors.is_empty() {
            return Err(DomainError::Invalid(errors));
        }
        let received = items.len();
        // Everything but matching is done once; matching is redone in the rare
        // case a brand query changes between matching and storing.
        let mut seen = HashSet::new();
        let mut within_batch_duplicates = 0;
        let mut inputs = Vec::with_capacity(items.len());
        for mut input in items.drain(..) {
            if !seen.insert((input.platform.clone(), input.external_id.clone())) {
                within_batch_duplicates += 1;
                continue;
            }
            // Microseconds: what PostgreSQL keeps, so cursors compare exactly everywhere.
            input.published_at = input.published_at.trunc_subsecs(6);
            if input.language.is_none() {
                input.language = input.text.as_deref().and_then(detect_language).map(str::to_owned);
            }
            inputs.push(input);
        }
        let folded: Vec<Option<String>> = inputs.iter().map(|i| i.text.as_deref().map(crate::text::fold)).collect();
        let mut posts: Vec<Post> = inputs
            .into_iter()
            .map(|input| Post { id: PostId::new(), tenant_id: tenant, input, auto: None, created_at: now })
            .collect();
        let mut outcome = None;
        for _ in 0..5 {
            let (version, matcher) = self.matcher(tenant).await?;
            let found: Vec<Vec<(BrandId, MentionLink, Vec<String>)>> = posts
                .iter()
                .zip(&folded)
                .map(|(post, folded_text)| match (post.input.brand_id, folded_text) {
                    (Some(brand_id), _) => vec![(brand_id, MentionLink::Assigned, vec![])],
                    (None, Some(folded)) => matcher
                        .find_folded(folded, post.input.language.as_deref())
                        .into_iter()
                        .map(|m| (m.brand_id, MentionLink::Matched, m.matched))
                        .collect(),
                    (None, None) => unreachable!("validated: text or brand_id"),
                })
                .collect();
            // The posts that became mentions are scored, in one call (one
            // request to a model service): each mention toward its brand's
            // matched words, the post as a whole (its `auto`). A provided
            // label still wins. A post that matched nothing is stored
            // unscored: a backfill that matches it later scores it.
            let scores = self.score(tenant, &mut posts, &folded, &found).await;
            // Scoring takes a while (a model service, the tenant's model
            // read): the brand queries may have changed since matching.
            if scores.iter().any(|s| !s.is_empty()) && self.ingests.brand_version(tenant).await? != version {
                continue;
            }
            let batch = posts
                .iter()
                .zip(&folded)
                .zip(found.into_iter().zip(scores))
                .map(|((post, folded_text), (found, scores))| {
                    let mentions = found
                        .into_iter()
                        .zip(scores)
                        .map(|((brand_id, link, matched_words), auto)| NewMention {
                            id: MentionId::new(),
                            brand_id,
                            link,
                            sentiment: match post.input.sentiment {
                                Some(label) => Sentiment::labelled(label, SentimentOrigin::Provided),
                                None => auto,
                            },
                            matched_words,
                        })
                        .collect();
                    NewPost { post: post.clone(), folded_text: folded_text.clone(), mentions }
                })
                .collect();
            outcome = self.ingests.ingest(tenant, batch, version).await?;
            if outcome.is_some() {
                break;
            }
        }
        let Some(mut outcome) = outcome else {
            return Err(DomainError::Unavailable("brand queries kept changing during ingest".into()));
        };
        outcome.duplicates += within_batch_duplicates;
        if !outcome.created.is_empty() || outcome.updated > 0 {
            self.cache.invalidate(tenant).await;
        }
        Ok((received, outcome))
    }

    /// Scores, in one call to the analyzer, each post that made mentions
    /// (its `auto`: the whole text) and each of its mentions: toward the
    /// words its brand matched, or the whole text for a mention assigned by
    /// `brand_id`. A post without text (restricted) is neutral. Returns the
    /// mentions' sentiments, post by post.
    async fn score(
        &self,
        tenant: TenantId,
        posts: &mut [Post],
        folded: &[Option<String>],
        found: &[Vec<(BrandId, MentionLink, Vec<String>)>],
    ) -> Vec<Vec<Sentiment>> {
        let mut texts: Vec<TextToScore<'_>> = Vec::new();
        for ((post, folded), found) in posts.iter().zip(folded).zip(found) {
            let Some(text) = post.input.text.as_deref().filter(|_| !found.is_empty()) else { continue };
            let entry = |targets| TextToScore {
                text,
                language: post.input.language.as_deref(),
                folded: folded.as_deref(),
                targets,
            };
            texts.push(entry(&[]));
            texts.extend(found.iter().filter(|(_, link, _)| *link == MentionLink::Matched).map(|(_, _, w)| entry(w)));
        }
        let mut scores =
            if texts.is_empty() { Vec::new() } else { self.analyzer.analyze(tenant, &texts).await }.into_iter();
        drop(texts);
        let neutral = Sentiment::labelled(SentimentLabel::Neutral, SentimentOrigin::Auto);
        posts
            .iter_mut()
            .zip(found)
            .map(|(post, found)| {
                if found.is_empty() {
                    return Vec::new();
                }
                if post.input.text.is_none() {
                    post.auto = Some(neutral);
                    return vec![neutral; found.len()];
                }
                let whole = scores.next().unwrap_or(neutral);
                post.auto = Some(whole);
                found
                    .iter()
                    .map(|(_, link, _)| match link {
                        MentionLink::Matched => scores.next().unwrap_or(neutral),
                        MentionLink::Assigned => whole,
                    })
                    .collect()
            })
            .collect()
    }

    fn scoped(who: &Principal, mut filter: MentionFilter) -> MentionFilter {
        if let BrandScope::Only(ids) = &who.scope {
            filter.only_brands = Some(ids.clone());
        }
        filter
    }

    pub async fn list(
        &self,
        who: &Principal,
        filter: MentionFilter,
        order: MentionOrder,
        limit: u32,
    ) -> DomainResult<MentionPage> {
        self.inbox.list_mentions(who.tenant_id, &Self::scoped(who, filter), order, limit).await
    }

    pub async fn get(&self, who: &Principal, id: MentionId) -> DomainResult<Mention> {
        let m = self.inbox.get_mention(who.tenant_id, id).await?;
        if !who.scope.allows(m.brand_id) {
            return Err(DomainError::NotFound("mention"));
        }
        Ok(m)
    }

    /// A person's changes. A sentiment set here is `manual`: it always wins
    /// and survives re-ingest and backfill.
    pub async fn update(&self, who: &Principal, id: MentionId, patch: MentionPatch) -> DomainResult<Mention> {
        let mut m = self.get(who, id).await?;
        let mut v = Violations::new();
        if let Some(tags) = &patch.tags {
            m.tags = check_tags(&mut v, tags);
        }
        if let Some(Some(user)) = patch.assignee_id
            && self.users.get_user(who.tenant_id, user).await.is_err()
        {
            v.add("assignee_id", format!("no user `{user}` in this tenant"));
        }
        v.finish(())?;
        if let Some(label) = patch.sentiment {
            m.sentiment = Sentiment::labelled(label, SentimentOrigin::Manual);
        }
        if let Some(status) = patch.status {
            m.status = status;
        }
        if let Some(assignee) = patch.assignee_id {
            m.assignee_id = assignee;
        }
        m.updated_at = self.clock.now();
        let fields = MentionFields {
            sentiment: patch.sentiment.is_some(),
            status: patch.status.is_some(),
            assignee: patch.assignee_id.is_some(),
            tags: patch.tags.is_some(),
        };
        self.inbox.update_mention(who.tenant_id, &m, fields).await?;
        if patch.sentiment.is_some() {
            self.cache.invalidate(who.tenant_id).await;
        }
        // As stored: another person may have changed other fields meanwhile.
        self.inbox.get_mention(who.tenant_id, id).await
    }

    /// Runs one pending backfill, if any; `true` when one ran.
    ///
    /// `stopping` is asked between pages: when it answers `true` (the
    /// process is shutting down) the run stops after the page it wrote —
    /// every page is applied whole, in one transaction — and hands its claim
    /// back, so the next start resumes it at once. Backfill is idempotent
    /// page by page, so the resumed run only adds what is still missing.
    pub async fn backfill_once(&self, stopping: &(dyn Fn() -> bool + Send + Sync)) -> DomainResult<bool> {
        let now = self.clock.now();
        let Some(mut claim) = self.backfills.claim_backfill(now, now - chrono::Duration::minutes(5)).await? else {
            return Ok(false);
        };
        let brand = match self.brands.get_brand(claim.tenant_id, claim.brand_id).await {
            Ok(b) => b,
            Err(DomainError::NotFound(_)) => return Ok(true),
            Err(e) => return Err(e),
        };
        let matcher = self.matchers.compile(vec![BrandQuery {
            brand_id: brand.id,
            keywords: brand.keywords.clone(),
            excluded_keywords: brand.excluded_keywords.clone(),
            languages: brand.languages.clone(),
        }]);
        let (mut added, mut removed) = (0, 0);
        let mut after = None;
        loop {
            let page = self.backfills.post_texts(claim.tenant_id, after, BACKFILL_PAGE).await?;
            let Some(last) = page.last() else { break };
            after = Some(last.id);
            let checked: Vec<PostId> = page.iter().map(|p| p.id).collect();
            let found: Vec<_> =
                page.iter().filter_map(|p| Some((p, matcher.find(&p.text, p.language.as_deref()).pop()?))).collect();
            // Each new mention toward the words its brand matched (a
            // provided label wins).
            let unscored: Vec<TextToScore<'_>> = found
                .iter()
                .filter(|(p, _)| p.provided.is_none())
                .map(|(p, m)| TextToScore {
                    text: &p.text,
                    language: p.language.as_deref(),
                    folded: None,
                    targets: &m.matched,
                })
                .collect();
            let mut scores =
                if unscored.is_empty() { Vec::new() } else { self.analyzer.analyze(claim.tenant_id, &unscored).await }
                    .into_iter();
            drop(unscored);
            let neutral = Sentiment::labelled(SentimentLabel::Neutral, SentimentOrigin::Auto);
            let matched = found
                .into_iter()
                .map(|(p, m)| {
                    let sentiment = match p.provided {
                        Some(label) => Sentiment::labelled(label, SentimentOrigin::Provided),
                        None => scores.next().unwrap_or(neutral),
                    };
                    (
                        p.id,
                        NewMention {
                            id: MentionId::new(),
                            brand_id: brand.id,
                            link: MentionLink::Matched,
                            sentiment,
                            matched_words: m.matched,
                        },
                    )
                })
                .collect();
            let (a, r) = self.backfills.apply_backfill(claim.tenant_id, brand.id, &checked, matched).await?;
            added += a;
            removed += r;
            if (page.len() as u32) < BACKFILL_PAGE {
                break;
            }
            if stopping() {
                self.backfills.release_backfill(claim).await?;
                if added + removed > 0 {
                    self.cache.invalidate(claim.tenant_id).await;
                }
                return Ok(true);
            }
            // A long run keeps its claim; a lost one (taken over as stale,
            // or the query changed) stops here and leaves the rest to its
            // new owner.
            if !self.backfills.renew_backfill(&mut claim, self.clock.now()).await? {
                if added + removed > 0 {
                    self.cache.invalidate(claim.tenant_id).await;
                }
                return Ok(true);
            }
        }
        self.backfills.finish_backfill(claim, added, removed, self.clock.now()).await?;
        if added + removed > 0 {
            self.cache.invalidate(claim.tenant_id).await;
        }
        Ok(true)
    }
}
