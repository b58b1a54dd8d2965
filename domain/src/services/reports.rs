//! Reports from the rollups: Share of Voice, sentiment, engagement. The
//! formulas are `crate::metrics`; this service only gathers and buckets.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::error::{DomainError, DomainResult};
use crate::ids::{BrandId, CompetitorSetId};
use crate::metrics::{EngagementSums, Period, SentimentCounts, SentimentSummary, SovWeight, sentiment_summary, shares};
use crate::model::access::Principal;
use crate::model::competitor_set::CompetitorSet;
use crate::model::mention::{SentimentLabel, SourceType};
use crate::page::PageRequest;
use crate::ports::{
    AnsweredQuery, AuthorQuery, AuthorRow, BrandRepository, CachedReport, CommunicationRepository,
    CompetitorSetRepository, Lookups, ReportCache, ReportCodec, RollupGroup, RollupQuery, RollupReader, RollupRow,
    Telemetry, TenantRepository,
};

/// The common parameters of every report.
#[derive(Debug, Clone)]
pub struct ReportParams {
    pub period: Period,
    pub platform: Option<String>,
    pub source_type: Option<SourceType>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SovEntry {
    pub brand_id: BrandId,
    pub name: String,
    pub value: f64,
    pub share: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SovPoint {
    pub start: DateTime<Utc>,
    pub brands: Vec<SovEntry>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ShareOfVoice {
    pub set: CompetitorSet,
    pub total: f64,
    pub brands: Vec<SovEntry>,
    pub series: Vec<SovPoint>,
}

/// Sentiment of all sources, of user-generated ones and of media.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SentimentBreakdown {
    pub all: SentimentSummary,
    pub user_generated: SentimentSummary,
    pub media: SentimentSummary,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SentimentReport {
    pub totals: SentimentBreakdown,
    pub series: Vec<(DateTime<Utc>, SentimentBreakdown)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EngagementReport {
    pub totals: EngagementSums,
    pub by_platform: Vec<(String, EngagementSums)>,
    pub series: Vec<(DateTime<Utc>, EngagementSums)>,
}

/// How long a computed report is kept; any write to its inputs retires it
/// sooner (every service that changes what reports read invalidates the
/// tenant's reports).
pub const REPORT_TTL: std::time::Duration = std::time::Duration::from_secs(300);

pub struct ReportService {
    pub rollups: Arc<dyn RollupReader>,
    /// Computed reports, kept per tenant.
    pub cache: Arc<dyn ReportCache>,
    pub codec: Arc<dyn ReportCodec>,
    /// Brands known to exist and tenants' zones, remembered a few seconds.
    pub lookups: Arc<dyn Lookups>,
    pub telemetry: Arc<dyn Telemetry>,
    /// Official answers, for the response report.
    pub answers: Arc<dyn CommunicationRepository>,
    pub brands: Arc<dyn BrandRepository>,
    pub sets: Arc<dyn CompetitorSetRepository>,
    pub tenants: Arc<dyn TenantRepository>,
}

#[derive(Default, Clone, Copy)]
struct Split {
    all: SentimentCounts,
    user_generated: SentimentCounts,
    media: SentimentCounts,
}

impl Split {
    fn add(&mut self, row: &RollupRow) {
        let n = row.sums.mentions;
        let c = match row.sentiment {
            Some(SentimentLabel::Positive) => SentimentCounts { positive: n, ..Default::default() },
            Some(SentimentLabel::Neutral) => SentimentCounts { neutral: n, ..Default::default() },
            Some(SentimentLabel::Negative) => SentimentCounts { negative: n, ..Default::default() },
            None => return,
        };
        self.all.add(c);
        if row.source_type.is_some_and(SourceType::is_media) {
            self.media.add(c);
        } else {
            self.user_generated.add(c);
        }
    }

    fn summary(&self) -> SentimentBreakdown {
        SentimentBreakdown {
            all: sentiment_summary(self.all),
            user_generated: sentiment_summary(self.user_generated),
            media: sentiment_summary(self.media),
        }
    }
}

impl ReportService {
    /// The tenant's zone: the default `tz` of reports.
    pub async fn default_tz(&self, who: &Principal) -> DomainResult<String> {
        if let Some(zone) = self.lookups.zone(who.tenant_id) {
            return Ok(zone);
        }
        let zone = self.tenants.get_tenant(who.tenant_id).await?.timezone;
        self.lookups.remember_zone(who.tenant_id, &zone);
        Ok(zone)
    }

    /// A brand the caller may see (404 otherwise). The scope is checked in
    /// memory; that the brand exists is remembered a few seconds.
    pub async fn check_brand(&self, who: &Principal, brand: BrandId) -> DomainResult<()> {
        if !who.scope.allows(brand) {
            return Err(DomainError::NotFound("brand"));
        }
        if self.lookups.brand_exists(who.tenant_id, brand) {
            return Ok(());
        }
        self.brands.get_brand(who.tenant_id, brand).await?;
        self.lookups.remember_brand(who.tenant_id, brand);
        Ok(())
    }

    /// A report from the cache, or computed by `compute` and kept. Access
    /// has been checked before, so the key needs only the tenant, the
    /// request (`path`, `query`) and `variant` (what else the answer
    /// depends on: the resolved zone, the format).
    pub async fn cached(
        &self,
        who: &Principal,
        (path, query): (&str, &str),
        variant: &str,
        compute: impl Future<Output = DomainResult<Vec<u8>>>,
    ) -> DomainResult<CachedReport> {
        // `v3` names the entry's layout (the codec's).
        let key = format!("v3:{path}?{query}&*={variant}");
        if let Some(found) = self.cache.get(who.tenant_id, &key).await.and_then(|stored| self.codec.decode(stored)) {
            self.telemetry.report_cache(true);
            return Ok(found);
        }
        self.telemetry.report_cache(false);
        let stored: Arc<[u8]> = self.codec.encode(compute.await?).into();
        self.cache.put(who.tenant_id, &key, &stored, REPORT_TTL).await;
        self.codec.decode(stored).ok_or_else(|| DomainError::Internal("a report entry did not read back".into()))
    }

    /// A set the caller may see: a client sees the sets of its brands.
    pub async fn check_set(&self, who: &Principal, id: CompetitorSetId) -> DomainResult<CompetitorSet> {
        let set = self.sets.get_set(who.tenant_id, id).await?;
        if !who.scope.allows(set.brand_id) {
            return Err(DomainError::NotFound("competitor set"));
        }
        Ok(set)
    }

    async fn rows(
        &self,
        who: &Principal,
        brands: &[BrandId],
        p: &ReportParams,
        sentiment: Option<SentimentLabel>,
        group: RollupGroup,
    ) -> DomainResult<Vec<RollupRow>> {
        let q = RollupQuery {
            brands,
            from: p.period.from,
            to: p.period.to,
            platform: p.platform.as_deref(),
            source_type: p.source_type,
            sentiment,
            group,
        };
        self.rollups.rollups(who.tenant_id, &q).await
    }

    /// Share of Voice of every brand of the set (`sentiment`: of positive or
    /// negative voice only), in total and per bucket.
    pub async fn share_of_voice(
        &self,
        who: &Principal,
        set: CompetitorSet,
        p: &ReportParams,
        weight: SovWeight,
        sentiment: Option<SentimentLabel>,
    ) -> DomainResult<ShareOfVoice> {
        let members: Vec<BrandId> = set.members().collect();
        let names: HashMap<BrandId, String> = self
            .brands
            .list_brands(who.tenant_id, Some(&members), PageRequest { limit: 200, after: None })
            .await?
            .items
            .into_iter()
            .map(|b| (b.id, b.name))
            .collect();
        let rows = self.rows(who, &members, p, sentiment, RollupGroup::Brand).await?;
        let index: HashMap<BrandId, usize> = members.iter().enumerate().map(|(i, b)| (*b, i)).collect();
        let buckets = p.period.buckets();
        let slot: HashMap<DateTime<Utc>, usize> = buckets.iter().enumerate().map(|(i, b)| (*b, i)).collect();
        let mut totals = vec![EngagementSums::default(); members.len()];
        let mut per_bucket = vec![vec![EngagementSums::default(); members.len()]; buckets.len()];
        for r in &rows {
            let Some(&b) = index.get(&r.brand_id) else { continue };
            totals[b].add(r.sums);
            if let Some(&s) = slot.get(&p.period.bucket_start(r.at)) {
                per_bucket[s][b].add(r.sums);
            }
        }
        let entries = |sums: &[EngagementSums]| -> Vec<SovEntry> {
            let values: Vec<f64> = sums.iter().map(|s| weight.of(s)).collect();
            let share = shares(&values);
            members
                .iter()
                .enumerate()
                .map(|(i, b)| SovEntry {
                    brand_id: *b,
                    name: names.get(b).cloned().unwrap_or_default(),
                    value: values[i],
                    share: share[i],
                })
                .collect()
        };
        let brands = entries(&totals);
        let total = brands.iter().map(|e| e.value).sum();
        let series = buckets
            .iter()
            .zip(per_bucket.iter())
            .map(|(start, sums)| SovPoint { start: *start, brands: entries(sums) })
            .collect();
        Ok(ShareOfVoice { set, total, brands, series })
    }

    pub async fn sentiment(&self, who: &Principal, brand: BrandId, p: &ReportParams) -> DomainResult<SentimentReport> {
        let rows = self.rows(who, &[brand], p, None, RollupGroup::SentimentAndSource).await?;
        let mut total = Split::default();
        let mut per: BTreeMap<DateTime<Utc>, Split> =
            p.period.buckets().into_iter().map(|b| (b, Split::default())).collect();
        for r in &rows {
            total.add(r);
            if let Some(s) = per.get_mut(&p.period.bucket_start(r.at)) {
                s.add(r);
            }
        }
        Ok(SentimentReport {
            totals: total.summary(),
            series: per.into_iter().map(|(k, v)| (k, v.summary())).collect(),
        })
    }

    pub async fn engagement(
        &self,
        who: &Principal,
        brand: BrandId,
        p: &ReportParams,
    ) -> DomainResult<EngagementReport> {
        let rows = self.rows(who, &[brand], p, None, RollupGroup::Platform).await?;
        let mut totals = EngagementSums::default();
        let mut platforms: BTreeMap<String, EngagementSums> = BTreeMap::new();
        let mut per: BTreeMap<DateTime<Utc>, EngagementSums> =
            p.period.buckets().into_iter().map(|b| (b, EngagementSums::default())).collect();
        for r in &rows {
            totals.add(r.sums);
            platforms.entry(r.platform.clone().unwrap_or_default()).or_default().add(r.sums);
            if let Some(s) = per.get_mut(&p.period.bucket_start(r.at)) {
                s.add(r.sums);
            }
        }
        Ok(EngagementReport { totals, by_platform: platforms.into_iter().collect(), series: per.into_iter().collect() })
    }
}

/// The reputation audit of a brand against its competitor set.
#[derive(Debug, Clone, PartialEq)]
pub struct Audit {
    pub brand_id: BrandId,
    pub brand_name: String,
    /// Share of Voice by mentions, reach and engagement.
    pub sov_mentions: ShareOfVoice,
    pub sov_reach: ShareOfVoice,
    pub sov_engagement: ShareOfVoice,
    pub sentiment: SentimentReport,
    pub engagement: EngagementReport,
    pub authors: Vec<AuthorRow>,
    pub negative: Vec<crate::model::mention::Mention>,
    pub responses: ResponseStats,
    pub findings: Vec<String>,
}

/// The numbers the findings are read from.
pub struct FindingsInput<'a> {
    pub brand: BrandId,
    pub name: &'a str,
    pub sov: &'a ShareOfVoice,
    pub sentiment: &'a SentimentReport,
    /// Sentiment of the period's last 7 days, and of the 7 days before.
    pub last_week: SentimentSummary,
    pub week_before: SentimentSummary,
    pub engagement: &'a EngagementReport,
    pub responses: &'a ResponseStats,
}

/// What the audit says in plain words, from its numbers.
pub fn findings(i: FindingsInput<'_>) -> Vec<String> {
    let FindingsInput { brand, name, sov, sentiment, last_week, week_before, engagement, responses } = i;
    let mut out = Vec::new();
    let total = sentiment.totals.all.total;
    if total == 0 {
        out.push(format!("No mentions of {name} in this period."));
        return out;
    }
    let members = sov.brands.len().max(1) as f64;
    let average = 100.0 / members;
    if let Some(me) = sov.brands.iter().find(|e| e.brand_id == brand) {
        let leader = sov.brands.iter().max_by(|a, b| a.share.total_cmp(&b.share)).expect("the brand is in the set");
        let relation = if me.share + 0.005 < average {
            "below"
        } else if me.share > average + 0.005 {
            "above"
        } else {
            "at"
        };
        out.push(format!(
            "Share of Voice is {:.1} %, {relation} the set average of {:.1} %{}.",
            me.share,
            average,
            if leader.brand_id == brand {
                String::from("; the brand leads the set")
            } else {
                format!("; {} leads with {:.1} %", leader.name, leader.share)
            }
        ));
    }
    let all = sentiment.totals.all;
    out.push(format!(
        "Net sentiment is {:+.1} ({} positive, {} neutral, {} negative of {} mentions).",
        all.net_sentiment, all.positive, all.neutral, all.negative, all.total
    ));
    if last_week.total > 0 && week_before.total > 0 {
        let (now, then) = (last_week.negative_share, week_before.negative_share);
        if (now - then).abs() >= 5.0 {
            let verb = if now > then { "rose" } else { "fell" };
            out.push(format!("Negative share {verb} from {then:.0} % to {now:.0} % in the last 7 days."));
        }
    }
    let (ugc, media) = (sentiment.totals.user_generated, sentiment.totals.media);
    if ugc.total > 0 && media.total > 0 && (ugc.net_sentiment - media.net_sentiment).abs() >= 20.0 {
        let (better, worse) =
            if ugc.net_sentiment > media.net_sentiment { ("reviews", "the media") } else { ("the media", "reviews") };
        out.push(format!(
            "Sentiment differs by source: {better} are kinder than {worse} (net {:+.0} vs {:+.0}).",
            ugc.net_sentiment.max(media.net_sentiment),
            ugc.net_sentiment.min(media.net_sentiment)
        ));
    }
    if let Some((platform, sums)) = engagement.by_platform.iter().max_by_key(|(_, s)| s.mentions) {
        out.push(format!(
            "Most mentions come from {platform} ({:.0} %).",
            crate::metrics::percent(sums.mentions as f64, engagement.totals.mentions as f64)
        ));
    }
    if responses.negative_total > 0 && responses.negative_answered == 0 {
        out.push(format!("None of the {} negative mentions has an official answer yet.", responses.negative_total));
    }
    out
}

/// Response stats of a brand in a period.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ResponseStats {
    pub negative_total: u64,
    pub negative_answered: u64,
    /// Percent of negative mentions with an official answer (0 without negatives).
    pub response_rate: f64,
    /// Median seconds from `published_at` to the first answer, over the answered mentions.
    pub median_response_seconds: Option<f64>,
}

/// The median of some durations, `None` when there are none.
pub fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    Some(if n % 2 == 1 { values[n / 2] } else { (values[n / 2 - 1] + values[n / 2]) / 2.0 })
}

impl ReportService {
    /// The reputation audit: everything above for one period, the most
    /// engaged negative mentions, and findings in plain words.
    pub async fn audit(
        &self,
        who: &Principal,
        brand: BrandId,
        set: CompetitorSet,
        p: &ReportParams,
    ) -> DomainResult<Audit> {
        if !set.members().any(|b| b == brand) {
            return Err(DomainError::invalid("competitor_set_id", "the set does not contain this brand"));
        }
        let name = self.brands.get_brand(who.tenant_id, brand).await?.name;
        let sov_mentions = self.share_of_voice(who, set.clone(), p, SovWeight::Mentions, None).await?;
        let sov_reach = self.share_of_voice(who, set.clone(), p, SovWeight::Reach, None).await?;
        let sov_engagement = self.share_of_voice(who, set, p, SovWeight::Engagement, None).await?;
        let sentiment = self.sentiment(who, brand, p).await?;
        let engagement = self.engagement(who, brand, p).await?;
        let responses = self.response_stats(who, brand, p).await?;
        let week = chrono::Duration::days(7);
        let window = |from, to| ReportParams {
            period: Period { from, to, ..p.period },
            platform: p.platform.clone(),
            source_type: p.source_type,
        };
        let last = window((p.period.to - week).max(p.period.from), p.period.to);
        let before = window((p.period.to - week - week).max(p.period.from), (p.period.to - week).max(p.period.from));
        let last_week = self.sentiment(who, brand, &last).await?.totals.all;
        let week_before = if before.period.from < before.period.to {
            self.sentiment(who, brand, &before).await?.totals.all
        } else {
            sentiment_summary(SentimentCounts::default())
        };
        let authors = self
            .authors(
                who,
                brand,
                &AuthorQuery {
                    from: p.period.from,
                    to: p.period.to,
                    platform: p.platform.clone(),
                    source_type: p.source_type,
                    sort: crate::ports::AuthorSort::Mentions,
                    limit: 10,
                },
            )
            .await?;
        let negative = self.rollups.most_engaged_negative(who.tenant_id, brand, p.period.from, p.period.to, 5).await?;
        let findings = findings(FindingsInput {
            brand,
            name: &name,
            sov: &sov_mentions,
            sentiment: &sentiment,
            last_week,
            week_before,
            engagement: &engagement,
            responses: &responses,
        });
        Ok(Audit {
            brand_id: brand,
            brand_name: name,
            sov_mentions,
            sov_reach,
            sov_engagement,
            sentiment,
            engagement,
            authors,
            negative,
            responses,
            findings,
        })
    }

    /// The top authors of a brand's mentions (the target audience): by
    /// mentions, reach, engagement, or negative mentions (repeat complainers).
    /// Counted over the UTC days that overlap the period.
    pub async fn authors(&self, who: &Principal, brand: BrandId, q: &AuthorQuery) -> DomainResult<Vec<AuthorRow>> {
        self.rollups.top_authors(who.tenant_id, brand, q).await
    }

    /// Response rate and time. Official answers are logged by the
    /// communication capability, which is not in this version yet: until then
    /// nothing is answered, and the negative mentions are counted for real.
    pub async fn response_stats(
        &self,
        who: &Principal,
        brand: BrandId,
        p: &ReportParams,
    ) -> DomainResult<ResponseStats> {
        let rows = self.rows(who, &[brand], p, Some(SentimentLabel::Negative), RollupGroup::Brand).await?;
        let negative_total = rows.iter().map(|r| r.sums.mentions).sum();
        let q = AnsweredQuery {
            from: p.period.from,
            to: p.period.to,
            platform: p.platform.clone(),
            source_type: p.source_type,
        };
        let answered_mentions = self.answers.answered_mentions(who.tenant_id, brand, &q).await?;
        let negative_answered =
            answered_mentions.iter().filter(|a| a.sentiment == SentimentLabel::Negative).count() as u64;
        let answered: Vec<f64> = answered_mentions
            .iter()
            .map(|a| (a.first_response_at - a.published_at).num_microseconds().unwrap_or(i64::MAX).max(0) as f64 / 1e6)
            .collect();
        Ok(ResponseStats {
            negative_total,
            negative_answered,
            response_rate: crate::metrics::round2(crate::metrics::percent(
                negative_answered as f64,
                negative_total as f64,
            )),
            median_response_seconds: median(answered),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![30.0, 10.0, 20.0]), Some(20.0));
        assert_eq!(median(vec![40.0, 10.0, 20.0, 30.0]), Some(25.0));
    }
}
