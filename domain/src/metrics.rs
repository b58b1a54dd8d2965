//! The metric formulas of DESIGN.md ("Metric definitions", normative), once,
//! as pure functions. Every ratio is 0 when its denominator is 0.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

use crate::error::{DomainResult, Violations};

/// `part / whole × 100`, or 0 when `whole` is 0.
pub fn percent(part: f64, whole: f64) -> f64 {
    if whole == 0.0 { 0.0 } else { part / whole * 100.0 }
}

/// Rounds to 2 decimals (the precision reports answer in).
pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Shares in percent of each value in the total, rounded to 2 decimals so that
/// they sum to exactly 100 (largest remainder); all 0 when the total is 0.
pub fn shares(values: &[f64]) -> Vec<f64> {
    let total: f64 = values.iter().sum();
    if total <= 0.0 {
        return vec![0.0; values.len()];
    }
    // Work in hundredths of a percent: 10,000 units to hand out.
    let exact: Vec<f64> = values.iter().map(|v| v / total * 10_000.0).collect();
    let mut units: Vec<i64> = exact.iter().map(|e| e.floor() as i64).collect();
    let mut missing = 10_000 - units.iter().sum::<i64>();
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| (exact[b] - exact[b].floor()).total_cmp(&(exact[a] - exact[a].floor())).then(a.cmp(&b)));
    for i in order {
        if missing <= 0 {
            break;
        }
        if values[i] > 0.0 {
            units[i] += 1;
            missing -= 1;
        }
    }
    units.into_iter().map(|u| u as f64 / 100.0).collect()
}

/// Counts of positive, neutral and negative mentions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SentimentCounts {
    pub positive: u64,
    pub neutral: u64,
    pub negative: u64,
}

impl SentimentCounts {
    pub fn add(&mut self, other: SentimentCounts) {
        self.positive += other.positive;
        self.neutral += other.neutral;
        self.negative += other.negative;
    }

    pub fn total(&self) -> u64 {
        self.positive + self.neutral + self.negative
    }
}

/// The sentiment block of a report.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SentimentSummary {
    pub positive: u64,
    pub neutral: u64,
    pub negative: u64,
    pub total: u64,
    pub positive_share: f64,
    pub neutral_share: f64,
    pub negative_share: f64,
    /// `(pos − neg) / (pos + neu + neg) × 100`.
    pub net_sentiment: f64,
    /// `(pos − neg) / (pos + neg) × 100`.
    pub net_sentiment_polar: f64,
}

pub fn sentiment_summary(c: SentimentCounts) -> SentimentSummary {
    let total = c.total();
    let (p, n, g, t) = (c.positive as f64, c.neutral as f64, c.negative as f64, total as f64);
    SentimentSummary {
        positive: c.positive,
        neutral: c.neutral,
        negative: c.negative,
        total,
        positive_share: round2(percent(p, t)),
        neutral_share: round2(percent(n, t)),
        negative_share: round2(percent(g, t)),
        net_sentiment: round2(percent(p - g, t)),
        net_sentiment_polar: round2(percent(p - g, p + g)),
    }
}

/// Sums behind the engagement report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EngagementSums {
    pub mentions: u64,
    pub likes: u64,
    pub comments: u64,
    pub reposts: u64,
    pub views: u64,
    pub reach: u64,
}

impl EngagementSums {
    pub fn add(&mut self, o: EngagementSums) {
        self.mentions += o.mentions;
        self.likes += o.likes;
        self.comments += o.comments;
        self.reposts += o.reposts;
        self.views += o.views;
        self.reach += o.reach;
    }

    /// `likes + comments + reposts` (views and reach are reported beside it).
    pub fn engagement(&self) -> u64 {
        self.likes + self.comments + self.reposts
    }

    /// Engagement per mention, 0 without mentions.
    pub fn per_mention(&self) -> f64 {
        if self.mentions == 0 { 0.0 } else { round2(self.engagement() as f64 / self.mentions as f64) }
    }
}

/// What Share of Voice weighs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SovWeight {
    Mentions,
    Reach,
    Engagement,
}

impl SovWeight {
    pub fn of(self, s: &EngagementSums) -> f64 {
        match self {
            SovWeight::Mentions => s.mentions as f64,
            SovWeight::Reach => s.reach as f64,
            SovWeight::Engagement => s.engagement() as f64,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granularity {
    Day,
    Week,
    Month,
}

impl Granularity {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "day" => Some(Self::Day),
            "week" => Some(Self::Week),
            "month" => Some(Self::Month),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Day => "day",
            Self::Week => "week",
            Self::Month => "month",
        }
    }
}

/// The longest period a report may cover, per granularity (days).
pub fn max_days(g: Granularity) -> i64 {
    match g {
        Granularity::Day => 731,
        Granularity::Week => 5 * 366,
        Granularity::Month => 10 * 366,
    }
}

/// A report's period: `[from, to)` in UTC, bucketed in `tz`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Period {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub granularity: Granularity,
    pub tz: Tz,
}

impl Period {
    /// Validates a period (every problem named): `from < to`, not longer than
    /// the granularity allows, a known IANA zone.
    pub fn new(from: DateTime<Utc>, to: DateTime<Utc>, granularity: Granularity, tz: &str) -> DomainResult<Self> {
        let mut v = Violations::new();
        let zone = tz.parse::<Tz>().ok();
        if zone.is_none() {
            v.add("tz", format!("`{tz}` is not an IANA time zone (e.g. `Europe/Moscow`, `UTC`)"));
        }
        if from >= to {
            v.add("from", "must be before `to` (the period is [from, to))");
        } else if (to - from).num_days() > max_days(granularity) {
            v.add(
                "to",
                format!(
                    "the period may span at most {} days at `{}` granularity; use a coarser one",
                    max_days(granularity),
                    granularity.as_str()
                ),
            );
        }
        v.finish(Period { from, to, granularity, tz: zone.unwrap_or(Tz::UTC) })
    }

    /// The start of the bucket containing `t`: local midnight of its day, of
    /// the Monday of its week, or of the 1st of its month (DST-correct).
    pub fn bucket_start(&self, t: DateTime<Utc>) -> DateTime<Utc> {
        let local = t.with_timezone(&self.tz).date_naive();
        let date = match self.granularity {
            Granularity::Day => local,
            Granularity::Week => local - Duration::days(local.weekday().num_days_from_monday() as i64),
            Granularity::Month => local.with_day(1).expect("day 1 exists"),
        };
        local_midnight(self.tz, date)
    }

    /// Every bucket start that overlaps the period, in order.
    pub fn buckets(&self) -> Vec<DateTime<Utc>> {
        let mut out = vec![self.bucket_start(self.from)];
        loop {
            let last = *out.last().expect("one bucket");
            let date = last.with_timezone(&self.tz).date_naive();
            let next_date = match self.granularity {
                Granularity::Day => date + Duration::days(1),
                Granularity::Week => date + Duration::days(7),
                Granularity::Month => {
                    let (y, m) =
                        if date.month() == 12 { (date.year() + 1, 1) } else { (date.year(), date.month() + 1) };
                    NaiveDate::from_ymd_opt(y, m, 1).expect("valid month")
                }
            };
            let next = local_midnight(self.tz, next_date);
            if next >= self.to {
                return out;
            }
            out.push(next);
        }
    }
}

/// The first instant of `date` in `tz` (midnight, or the first valid time
/// after a gap where a DST change skips midnight).
pub fn local_midnight(tz: Tz, date: NaiveDate) -> DateTime<Utc> {
    let mut t = date.and_hms_opt(0, 0, 0).expect("midnight");
    for _ in 0..24 * 4 {
        if let Some(dt) = tz.from_local_datetime(&t).earliest() {
            return dt.with_timezone(&Utc);
        }
        t += Duration::minutes(15);
    }
    Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0).expect("midnight"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn shares_sum_to_exactly_100_and_are_zero_when_empty() {
        let s = shares(&[1.0, 1.0, 1.0]);
        assert_eq!(s, vec![33.34, 33.33, 33.33]);
        assert_eq!(s.iter().sum::<f64>().mul_add(100.0, 0.0).round(), 10_000.0);
        assert_eq!(shares(&[3.0, 1.0]), vec![75.0, 25.0]);
        assert_eq!(shares(&[0.0, 0.0]), vec![0.0, 0.0]);
        assert_eq!(shares(&[]), Vec::<f64>::new());
        assert_eq!(shares(&[0.0, 5.0]), vec![0.0, 100.0]);
    }

    #[test]
    fn sentiment_by_hand() {
        // 6 positive, 3 neutral, 1 negative.
        let s = sentiment_summary(SentimentCounts { positive: 6, neutral: 3, negative: 1 });
        assert_eq!(s.total, 10);
        assert_eq!((s.positive_share, s.neutral_share, s.negative_share), (60.0, 30.0, 10.0));
        assert_eq!(s.net_sentiment, 50.0); // (6 − 1) / 10
        assert_eq!(s.net_sentiment_polar, 71.43); // (6 − 1) / 7
        let empty = sentiment_summary(SentimentCounts::default());
        assert_eq!((empty.net_sentiment, empty.net_sentiment_polar, empty.positive_share), (0.0, 0.0, 0.0));
        let neutral_only = sentiment_summary(SentimentCounts { positive: 0, neutral: 4, negative: 0 });
        assert_eq!(neutral_only.net_sentiment_polar, 0.0);
    }

    #[test]
    fn engagement_by_hand() {
        let e = EngagementSums { mentions: 3, likes: 10, comments: 4, reposts: 2, views: 1000, reach: 5000 };
        assert_eq!(e.engagement(), 16);
        assert_eq!(e.per_mention(), 5.33);
        assert_eq!(EngagementSums::default().per_mention(), 0.0);
        assert_eq!(SovWeight::Reach.of(&e), 5000.0);
    }

    #[test]
    fn moscow_days_start_at_21_utc() {
        let p =
            Period::new(utc("2026-11-01T21:00:00Z"), utc("2026-11-04T21:00:00Z"), Granularity::Day, "Europe/Moscow")
                .unwrap();
        assert_eq!(p.bucket_start(utc("2026-11-02T22:30:00Z")), utc("2026-11-02T21:00:00Z"));
        assert_eq!(p.bucket_start(utc("2026-11-02T20:59:59Z")), utc("2026-11-01T21:00:00Z"));
        assert_eq!(
            p.buckets(),
            vec![utc("2026-11-01T21:00:00Z"), utc("2026-11-02T21:00:00Z"), utc("2026-11-03T21:00:00Z")]
        );
    }

    #[test]
    fn dst_days_are_23_and_25_hours_long() {
        let p =
            Period::new(utc("2026-03-28T00:00:00Z"), utc("2026-03-31T00:00:00Z"), Granularity::Day, "Europe/Berlin")
                .unwrap();
        let b = p.buckets();
        assert_eq!(b[0], utc("2026-03-27T23:00:00Z"));
        assert_eq!(b[1], utc("2026-03-28T23:00:00Z")); // 29 March starts at CET midnight
        assert_eq!(b[2], utc("2026-03-29T22:00:00Z")); // 30 March starts at CEST midnight: a 23-hour day
        let p =
            Period::new(utc("2026-10-24T00:00:00Z"), utc("2026-10-27T00:00:00Z"), Granularity::Day, "Europe/Berlin")
                .unwrap();
        let b = p.buckets();
        assert_eq!(b[2] - b[1], Duration::hours(25));
    }

    #[test]
    fn weeks_start_on_monday_and_months_on_the_first() {
        let p =
            Period::new(utc("2026-11-04T12:00:00Z"), utc("2026-12-20T00:00:00Z"), Granularity::Week, "UTC").unwrap();
        assert_eq!(p.buckets()[0], utc("2026-11-02T00:00:00Z"));
        let p =
            Period::new(utc("2026-01-15T00:00:00Z"), utc("2026-04-01T00:00:00Z"), Granularity::Month, "UTC").unwrap();
        assert_eq!(
            p.buckets(),
            vec![utc("2026-01-01T00:00:00Z"), utc("2026-02-01T00:00:00Z"), utc("2026-03-01T00:00:00Z")]
        );
    }

    #[test]
    fn bad_periods_are_named() {
        let e = Period::new(utc("2026-01-02T00:00:00Z"), utc("2026-01-01T00:00:00Z"), Granularity::Day, "Nowhere/City")
            .unwrap_err();
        let crate::DomainError::Invalid(errors) = e else { panic!() };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["tz", "from"]);
        assert!(
            Period::new(utc("2020-01-01T00:00:00Z"), utc("2026-01-01T00:00:00Z"), Granularity::Day, "UTC").is_err()
        );
        assert!(
            Period::new(utc("2020-01-01T00:00:00Z"), utc("2026-01-01T00:00:00Z"), Granularity::Month, "UTC").is_ok()
        );
    }
}
