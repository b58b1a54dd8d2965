//! Brands and their monitoring queries.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use crate::error::{DomainResult, Violations};
use crate::ids::{BrandId, TenantId};
use crate::model::tenant::check_name;
use crate::text::{fold, tidy};

#[derive(Debug, Clone, PartialEq)]
pub struct Brand {
    pub id: BrandId,
    pub tenant_id: TenantId,
    pub name: String,
    pub keywords: Vec<String>,
    pub excluded_keywords: Vec<String>,
    pub languages: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub backfill: Backfill,
}

/// Re-matching the stored posts after the brand's query was created or
/// changed; it runs in the background.
#[derive(Debug, Clone, PartialEq)]
pub struct Backfill {
    pub status: BackfillStatus,
    /// Mentions the last run added.
    pub matched: u64,
    /// Mentions the last run removed (matches that no longer hold, untouched by people).
    pub removed: u64,
    pub finished_at: Option<DateTime<Utc>>,
}

impl Backfill {
    pub fn pending() -> Self {
        Self { status: BackfillStatus::Pending, matched: 0, removed: 0, finished_at: None }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackfillStatus {
    Pending,
    Running,
    Done,
}

impl BackfillStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            BackfillStatus::Pending => "pending",
            BackfillStatus::Running => "running",
            BackfillStatus::Done => "done",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Pending, Self::Running, Self::Done].into_iter().find(|x| x.as_str() == s)
    }
}

impl Brand {
    /// Whether `other` matches differently (keywords, exclusions or languages differ).
    pub fn query_differs(&self, other: &Brand) -> bool {
        self.keywords != other.keywords
            || self.excluded_keywords != other.excluded_keywords
            || self.languages != other.languages
    }
}

/// A brand's keywords (and apart its excluded ones) are at most this many
/// whatever its tenant's quota (`keywords_per_brand`, 100 by default).
pub const KEYWORDS_MAX: usize = 1000;
pub const KEYWORD_MAX_CHARS: usize = 200;

/// A brand's query as the caller wrote it, before validation.
#[derive(Debug, Clone, Default)]
pub struct BrandInput {
    pub name: String,
    pub keywords: Vec<String>,
    pub excluded_keywords: Vec<String>,
    pub languages: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct BrandPatch {
    pub name: Option<String>,
    pub keywords: Option<Vec<String>>,
    pub excluded_keywords: Option<Vec<String>>,
    pub languages: Option<Vec<String>>,
}

impl BrandInput {
    /// Validates and normalises the whole input, naming every broken rule.
    pub fn validate(self) -> DomainResult<BrandInput> {
        let mut v = Violations::new();
        let name = check_name(&mut v, "name", &self.name);
        let keywords = check_keywords(&mut v, "keywords", &self.keywords, true);
        let excluded = check_keywords(&mut v, "excluded_keywords", &self.excluded_keywords, false);
        let kept: HashSet<String> = keywords.iter().map(|k| fold(k)).collect();
        for (i, k) in excluded.iter().enumerate() {
            if kept.contains(&fold(k)) {
                v.add(format!("excluded_keywords[{i}]"), "is also a keyword");
            }
        }
        let languages = check_languages(&mut v, "languages", &self.languages);
        v.finish(BrandInput { name, keywords, excluded_keywords: excluded, languages })
    }
}

impl BrandPatch {
    /// The brand's current query with this patch applied, still to be validated.
    pub fn merged(self, brand: &Brand) -> BrandInput {
        BrandInput {
            name: self.name.unwrap_or_else(|| brand.name.clone()),
            keywords: self.keywords.unwrap_or_else(|| brand.keywords.clone()),
            excluded_keywords: self.excluded_keywords.unwrap_or_else(|| brand.excluded_keywords.clone()),
            languages: self.languages.unwrap_or_else(|| brand.languages.clone()),
        }
    }
}

fn check_keywords(v: &mut Violations, field: &str, raw: &[String], required: bool) -> Vec<String> {
    if required && raw.is_empty() {
        v.add(field, "must contain at least one keyword");
    }
    if raw.len() > KEYWORDS_MAX {
        v.add(field, format!("must contain at most {KEYWORDS_MAX} keywords"));
    }
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(raw.len());
    for (i, k) in raw.iter().enumerate() {
        let at = format!("{field}[{i}]");
        let k = tidy(k);
        // A keyword in double quotes matches only that exact form; the quotes
        // are part of the stored keyword, the text inside must not be empty.
        let inner = k.strip_prefix('"').and_then(|s| s.strip_suffix('"')).unwrap_or(&k);
        if inner.trim().is_empty() {
            v.add(at, "must not be empty");
        } else if inner.chars().count() > KEYWORD_MAX_CHARS {
            v.add(at, format!("must be at most {KEYWORD_MAX_CHARS} characters"));
        } else if k.chars().any(char::is_control) {
            v.add(at, "must not contain control characters");
        } else if !seen.insert(fold(&k)) {
            v.add(at, format!("duplicates an earlier keyword (`{k}`)"));
        }
        out.push(k);
    }
    out
}

fn check_languages(v: &mut Violations, field: &str, raw: &[String]) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(raw.len());
    for (i, lang) in raw.iter().enumerate() {
        let at = format!("{field}[{i}]");
        if !ISO_639_1.contains(&lang.as_str()) {
            v.add(at, format!("`{lang}` is not an ISO 639-1 code such as `ru` or `en`"));
        } else if !seen.insert(lang.clone()) {
            v.add(at, format!("duplicates `{lang}`"));
        } else {
            out.push(lang.clone());
        }
    }
    out
}

/// Every two-letter code of ISO 639-1, lower case.
pub const ISO_639_1: &[&str] = &[
    "aa", "ab", "ae", "af", "ak", "am", "an", "ar", "as", "av", "ay", "az", "ba", "be", "bg", "bi", "bm", "bn", "bo",
    "br", "bs", "ca", "ce", "ch", "co", "cr", "cs", "cu", "cv", "cy", "da", "de", "dv", "dz", "ee", "el", "en", "eo",
    "es", "et", "eu", "fa", "ff", "fi", "fj", "fo", "fr", "fy", "ga", "gd", "gl", "gn", "gu", "gv", "ha", "he", "hi",
    "ho", "hr", "ht", "hu", "hy", "hz", "ia", "id", "ie", "ig", "ii", "ik", "io", "is", "it", "iu", "ja", "jv", "ka",
    "kg", "ki", "kj", "kk", "kl", "km", "kn", "ko", "kr", "ks", "ku", "kv", "kw", "ky", "la", "lb", "lg", "li", "ln",
    "lo", "lt", "lu", "lv", "mg", "mh", "mi", "mk", "ml", "mn", "mr", "ms", "mt", "my", "na", "nb", "nd", "ne", "ng",
    "nl", "nn", "no", "nr", "nv", "ny", "oc", "oj", "om", "or", "os", "pa", "pi", "pl", "ps", "pt", "qu", "rm", "rn",
    "ro", "ru", "rw", "sa", "sc", "sd", "se", "sg", "si", "sk", "sl", "sm", "sn", "so", "sq", "sr", "ss", "st", "su",
    "sv", "sw", "ta", "te", "tg", "th", "ti", "tk", "tl", "tn", "to", "tr", "ts", "tt", "tw", "ty", "ug", "uk", "ur",
    "uz", "ve", "vi", "vo", "wa", "wo", "xh", "yi", "yo", "za", "zh", "zu",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::DomainError;

    fn input(keywords: &[&str]) -> BrandInput {
        BrandInput {
            name: " Daynet ".into(),
            keywords: keywords.iter().map(|s| s.to_string()).collect(),
            excluded_keywords: vec![],
            languages: vec!["ru".into(), "en".into()],
        }
    }

    fn fields(err: DomainError) -> Vec<String> {
        match err {
            DomainError::Invalid(e) => e.into_iter().map(|e| e.field).collect(),
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn a_good_query_is_tidied() {
        let b = input(&["Daynet", "  Дейнет  ", "\"Daynet Pro\""]).validate().unwrap();
        assert_eq!(b.name, "Daynet");
        assert_eq!(b.keywords, vec!["Daynet", "Дейнет", "\"Daynet Pro\""]);
    }

    #[test]
    fn duplicates_compare_case_and_yo_insensitively() {
        let err = input(&["Ёлка", "елка"]).validate().unwrap_err();
        assert_eq!(fields(err), vec!["keywords[1]"]);
    }

    #[test]
    fn every_broken_rule_is_named() {
        let mut b = input(&[]);
        b.name = "  ".into();
        b.languages = vec!["russian".into()];
        b.excluded_keywords = vec!["\"\"".into()];
        let got = fields(b.validate().unwrap_err());
        assert_eq!(got, vec!["name", "keywords", "excluded_keywords[0]", "languages[0]"]);
    }

    #[test]
    fn an_exclusion_may_not_repeat_a_keyword() {
        let mut b = input(&["Daynet"]);
        b.excluded_keywords = vec!["DAYNET".into()];
        assert_eq!(fields(b.validate().unwrap_err()), vec!["excluded_keywords[0]"]);
    }

    #[test]
    fn iso_list_is_sorted_and_unique() {
        let mut sorted = ISO_639_1.to_vec();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), ISO_639_1.len());
    }
}
