//! Brand matching for Russian and English: every keyword of every brand of a
//! tenant compiled into Aho-Corasick automata, so a post is scanned once
//! whatever the number of brands.
//!
//! Text and keywords go through the same steps: NFKC, lower case, `ё` → `е`
//! ([`smrm_domain::text::fold`]), then words are the runs of letters and
//! digits (so `#daynet` is the word `daynet`, and `Daynet's` is `daynet` + `s`).
//! Each word is reduced to its Snowball stem (Russian for Cyrillic words,
//! English for Latin ones), so `Дейнет` matches `Дейнета`, `Дейнетом`,
//! `Дейнету`, and `Daynet` matches `Daynets`; a keyword also counts as a
//! stem as written, so a name the stemmer would cut (`Связьком` → `связьк`)
//! still matches its inflections (`Связькома` → `связьком`). The words are joined by single
//! spaces with a space at each end, and a keyword `k1 k2` becomes the pattern
//! ` k1 k2 `: a match always starts and ends on word boundaries (`Daynet`
//! never matches `Daynetwork`), and phrases match consecutive words. A keyword
//! in double quotes is matched on the unstemmed words: only that exact form.
//! An excluded keyword anywhere in the text cancels its brand's match.

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use rust_stemmers::{Algorithm, Stemmer};
use rustc_hash::FxHashMap;
use smrm_domain::ports::{BrandMatch, BrandMatcher, BrandQuery, MAX_MATCHED_FORMS, MatcherFactory};
use smrm_domain::text::fold;

/// Occurrences kept per brand and post before the distinct forms are taken:
/// enough for [`MAX_MATCHED_FORMS`] forms in any real text, and a bound on
/// the memory of a hostile one.
const MAX_RANGES: usize = 1024;

/// What one post matched of one brand: word ranges of keywords, and whether
/// an exclusion matched too.
struct Hit {
    brand: usize,
    ranges: Vec<(usize, usize)>,
    excluded: bool,
}

#[derive(Debug, Clone, Copy)]
struct Target {
    brand: usize,
    exclude: bool,
}

/// One automaton over one form of the words (stemmed or exact).
struct Side {
    automaton: AhoCorasick,
    /// Per pattern id: every (brand, keyword-or-exclusion) it stands for.
    targets: Vec<Vec<Target>>,
}

pub struct Matcher {
    brands: Vec<BrandQuery>,
    stemmed: Option<Side>,
    exact: Option<Side>,
}

struct Stemmers {
    ru: Stemmer,
    en: Stemmer,
    /// Social text repeats its words: a bounded memo of stems per thread
    /// (cleared when full) cut the matcher's time by about 30 % in its bench.
    memo: std::cell::RefCell<FxHashMap<String, String>>,
}

const MEMO_MAX: usize = 200_000;

impl Stemmers {
    fn new() -> Self {
        Self {
            ru: Stemmer::create(Algorithm::Russian),
            en: Stemmer::create(Algorithm::English),
            memo: Default::default(),
        }
    }

    /// Appends the stem of `word` to `out` (no allocation when memoised).
    fn push_stem(&self, word: &str, out: &mut String) {
        if let Some(s) = self.memo.borrow().get(word) {
            out.push_str(s);
            return;
        }
        let stem = self.stem_uncached(word);
        out.push_str(&stem);
        let mut memo = self.memo.borrow_mut();
        if memo.len() >= MEMO_MAX {
            memo.clear();
        }
        memo.insert(word.to_owned(), stem);
    }

    fn stem_uncached(&self, word: &str) -> String {
        if word.chars().any(|c| matches!(c, '\u{0400}'..='\u{04FF}')) {
            self.ru.stem(word).into_owned()
        } else if word.bytes().all(|b| b.is_ascii_alphabetic()) {
            self.en.stem(word).into_owned()
        } else {
            word.to_owned()
        }
    }
}

thread_local! {
    static STEMMERS: Stemmers = Stemmers::new();
}

/// Appends the Snowball stem of a folded word to `out` (Russian for Cyrillic,
/// English for ASCII letters, the word itself otherwise). The sentiment
/// model's features share the matcher's stemmers and their memo.
pub(crate) fn push_stem(word: &str, out: &mut String) {
    STEMMERS.with(|st| st.push_stem(word, out));
}

/// The words of a folded text with their byte ranges.
fn words(folded: &str) -> Vec<&str> {
    smrm_domain::text::words(folded).collect()
}

/// ` w1 w2 … ` and the offset at which each word starts in it.
fn stream(words: &[&str], stemmed: bool) -> (String, Vec<usize>) {
    let mut s = String::with_capacity(words.iter().map(|w| w.len() + 1).sum::<usize>() + 1);
    s.push(' ');
    let mut starts = Vec::with_capacity(words.len());
    STEMMERS.with(|st| {
        for w in words {
            starts.push(s.len());
            if stemmed {
                st.push_stem(w, &mut s);
            } else {
                s.push_str(w);
            }
            s.push(' ');
        }
    });
    (s, starts)
}

/// A keyword's pattern, or `None` when it has no words (only punctuation).
fn pattern(keyword: &str, exact: bool) -> Option<String> {
    let folded = fold(keyword);
    let ws = words(&folded);
    if ws.is_empty() {
        return None;
    }
    Some(stream(&ws, !exact).0)
}

fn side(patterns: HashMap<String, Vec<Target>>) -> Option<Side> {
    if patterns.is_empty() {
        return None;
    }
    let (keys, targets): (Vec<String>, Vec<Vec<Target>>) = patterns.into_iter().unzip();
    let automaton = AhoCorasickBuilder::new()
        .match_kind(MatchKind::Standard)
        .build(&keys)
        .expect("keyword patterns are small enough for an automaton");
    Some(Side { automaton, targets })
}

/// Quoted keywords (`"Daynet Pro"`) match the exact form only.
fn unquote(keyword: &str) -> (&str, bool) {
    match keyword.strip_prefix('"').and_then(|k| k.strip_suffix('"')) {
        Some(inner) => (inner, true),
        None => (keyword, false),
    }
}

impl Matcher {
    pub fn compile(brands: Vec<BrandQuery>) -> Self {
        let mut stemmed: HashMap<String, Vec<Target>> = HashMap::new();
        let mut exact: HashMap<String, Vec<Target>> = HashMap::new();
        for (i, b) in brands.iter().enumerate() {
            let kept = b.keywords.iter().map(|k| (k, false));
            let dropped = b.excluded_keywords.iter().map(|k| (k, true));
            for (keyword, exclude) in kept.chain(dropped) {
                let (keyword, is_exact) = unquote(keyword);
                let target = Target { brand: i, exclude };
                if is_exact {
                    if let Some(p) = pattern(keyword, true) {
                        exact.entry(p).or_default().push(target);
                    }
                    continue;
                }
                // The keyword's stems, and the keyword as written taken as a
                // stem: a brand name is written in its base form, and its
                // inflections stem back to that form even where the stemmer
                // cuts the name itself shorter (`Связьком` stems to
                // `связьк`, but `Связькома`, `Связькомом` stem to `связьком`).
                let variants = [pattern(keyword, false), pattern(keyword, true)];
                for p in variants.iter().flatten() {
                    let targets = stemmed.entry(p.clone()).or_default();
                    if !targets.iter().any(|t| t.brand == i && t.exclude == exclude) {
                        targets.push(target);
                    }
                }
            }
        }
        Self { brands, stemmed: side(stemmed), exact: side(exact) }
    }
}

/// Compiles queries into a [`Matcher`].
pub struct SnowballMatcherFactory;

impl MatcherFactory for SnowballMatcherFactory {
    fn compile(&self, queries: Vec<BrandQuery>) -> Box<dyn BrandMatcher> {
        Box::new(Matcher::compile(queries))
    }
}

impl BrandMatcher for Matcher {
    fn find_folded(&self, folded: &str, language: Option<&str>) -> Vec<BrandMatch> {
        if self.brands.is_empty() {
            return Vec::new();
        }
        let ws = words(folded);
        // Per brand: matched word ranges (first, last) and whether an exclusion hit.
        // Per brand hit (few per post): a small Vec beats a map.
        let mut hits: Vec<Hit> = Vec::new();
        let mut scan = |side: &Side, (s, starts): (String, Vec<usize>)| {
            for m in side.automaton.find_overlapping_iter(&s) {
                // The pattern starts and ends with a space: its first word starts
                // one byte in, and it covers every word starting before its end.
                let first = starts.partition_point(|&o| o < m.start() + 1);
                let last = starts.partition_point(|&o| o < m.end() - 1) - 1;
                for t in &side.targets[m.pattern().as_usize()] {
                    let i = match hits.iter().position(|h| h.brand == t.brand) {
                        Some(i) => i,
                        None => {
                            hits.push(Hit { brand: t.brand, ranges: Vec::new(), excluded: false });
                            hits.len() - 1
                        }
                    };
                    if t.exclude {
                        hits[i].excluded = true;
                    } else if hits[i].ranges.len() < MAX_RANGES {
                        hits[i].ranges.push((first, last));
                    }
                }
            }
        };
        if let Some(side) = &self.stemmed {
            scan(side, stream(&ws, true));
        }
        if let Some(side) = &self.exact {
            scan(side, stream(&ws, false));
        }
        let mut out: Vec<BrandMatch> = hits
            .into_iter()
            .filter(|h| !h.excluded && !h.ranges.is_empty())
            .filter(|h| {
                let langs = &self.brands[h.brand].languages;
                langs.is_empty() || language.is_none_or(|l| langs.iter().any(|x| x == l))
            })
            .map(|Hit { brand: i, mut ranges, .. }| {
                ranges.sort_unstable();
                ranges.dedup();
                // Distinct forms in text order, bounded: the ranges of a long
                // text with overlapping phrases grow with words × keywords.
                let mut matched: Vec<String> = Vec::new();
                for &(a, b) in &ranges {
                    if matched.len() == MAX_MATCHED_FORMS {
                        break;
                    }
                    let form = ws[a..=b].join(" ");
                    if !matched.contains(&form) {
                        matched.push(form);
                    }
                }
                BrandMatch { brand_id: self.brands[i].brand_id, matched }
            })
            .collect();
        out.sort_by_key(|m| m.brand_id);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use smrm_domain::ids::BrandId;

    fn brand(keywords: &[&str], excluded: &[&str]) -> BrandQuery {
        BrandQuery {
            brand_id: BrandId::new(),
            keywords: keywords.iter().map(|s| s.to_string()).collect(),
            excluded_keywords: excluded.iter().map(|s| s.to_string()).collect(),
            languages: vec![],
        }
    }

    fn words_of(m: &Matcher, text: &str) -> Vec<String> {
        m.find(text, None).into_iter().flat_map(|b| b.matched).collect()
    }

    #[test]
    fn names_the_stemmer_cuts_short_still_match_their_inflections() {
        let m = Matcher::compile(vec![brand(&["Связьком", "Телеком Плюс"], &[])]);
        for text in ["Связьком", "у Связькома", "со Связькомом", "Связькому", "Телекома Плюс"]
        {
            assert_eq!(m.find(text, None).len(), 1, "{text}");
        }
        assert!(m.find("связь компании", None).is_empty(), "other words sharing the cut stem do not");
    }

    #[test]
    fn matched_forms_are_distinct_and_bounded_however_often_they_occur() {
        // 50 overlapping phrases over a 2,000-word text of 40 distinct words:
        // every phrase occurs ~50 times.
        let vocabulary: Vec<String> = (0..40).map(|i| format!("w{i}")).collect();
        let phrases: Vec<String> =
            (0..50).map(|i| format!("{} {}", vocabulary[i % 40], vocabulary[(i + 1) % 40])).collect();
        let m = Matcher::compile(vec![brand(&phrases.iter().map(String::as_str).collect::<Vec<_>>(), &[])]);
        let text: Vec<&str> = (0..2000).map(|i| vocabulary[i % 40].as_str()).collect();
        let found = words_of(&m, &text.join(" "));
        assert_eq!(found.len(), MAX_MATCHED_FORMS);
        let distinct: std::collections::HashSet<&String> = found.iter().collect();
        assert_eq!(distinct.len(), found.len(), "each form once");
        assert_eq!(found[0], "w0 w1", "in the order they occur");
        assert_eq!(words_of(&m, "w3 w4 and w3 w4 again w3 w4"), ["w3 w4"]);
    }

    #[test]
    fn russian_inflections_match() {
        let m = Matcher::compile(vec![brand(&["Дейнет"], &[])]);
        for text in ["Купил Дейнет", "нет Дейнета", "доволен Дейнетом", "спасибо Дейнету", "о ДЕЙНЕТЕ", "дейнёт"]
        {
            assert_eq!(m.find(text, None).len(), 1, "{text}");
        }
        assert_eq!(words_of(&m, "доволен Дейнетом!"), ["дейнетом"]);
    }

    #[test]
    fn english_plurals_and_possessives_match() {
        let m = Matcher::compile(vec![brand(&["Daynet"], &[])]);
        for text in ["I love Daynet", "two daynets", "Daynet's support", "DAYNET."] {
            assert_eq!(m.find(text, None).len(), 1, "{text}");
        }
    }

    #[test]
    fn word_boundaries_hold() {
        let m = Matcher::compile(vec![brand(&["Daynet"], &[])]);
        assert!(m.find("Daynetwork is down", None).is_empty());
        assert!(m.find("superdaynet", None).is_empty());
    }

    #[test]
    fn hashtags_and_phrases() {
        let m = Matcher::compile(vec![brand(&["Daynet", "mobile bank"], &[])]);
        assert_eq!(words_of(&m, "#daynet rocks"), ["daynet"]);
        let p = Matcher::compile(vec![brand(&["mobile bank"], &[])]);
        assert_eq!(p.find("their mobile banking app", None).len(), 1, "stems: bank ~ banking");
        assert!(p.find("mobile phone, bank", None).is_empty(), "phrase words must be consecutive");
    }

    #[test]
    fn quoted_keywords_match_the_exact_form_only() {
        let m = Matcher::compile(vec![brand(&["\"Дейнет\""], &[])]);
        assert_eq!(m.find("Дейнет", None).len(), 1);
        assert!(m.find("Дейнета", None).is_empty());
    }

    #[test]
    fn an_exclusion_cancels_only_its_brand() {
        let a = brand(&["Daynet"], &["daynet jobs"]);
        let b = brand(&["jobs"], &[]);
        let (a_id, b_id) = (a.brand_id, b.brand_id);
        let m = Matcher::compile(vec![a, b]);
        let found: Vec<BrandId> = m.find("Daynet jobs: we are hiring", None).into_iter().map(|x| x.brand_id).collect();
        assert_eq!(found, [b_id]);
        let found: Vec<BrandId> = m.find("Daynet is great", None).into_iter().map(|x| x.brand_id).collect();
        assert_eq!(found, [a_id]);
    }

    #[test]
    fn two_brands_in_one_post() {
        let a = brand(&["Daynet"], &[]);
        let b = brand(&["Мегасвязь"], &[]);
        let m = Matcher::compile(vec![a, b]);
        assert_eq!(m.find("Daynet лучше Мегасвязи", None).len(), 2);
    }

    #[test]
    fn languages_filter_when_the_post_language_is_known() {
        let mut a = brand(&["Daynet"], &[]);
        a.languages = vec!["ru".into()];
        let m = Matcher::compile(vec![a]);
        assert_eq!(m.find("Daynet", Some("ru")).len(), 1);
        assert!(m.find("Daynet", Some("en")).is_empty());
        assert_eq!(m.find("Daynet", None).len(), 1);
    }

    #[test]
    fn the_same_keyword_in_two_brands_matches_both() {
        let m = Matcher::compile(vec![brand(&["Daynet"], &[]), brand(&["daynet"], &[])]);
        assert_eq!(m.find("daynet", None).len(), 2);
    }
}
