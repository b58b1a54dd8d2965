//! Sentiment toward a target: the brand whose query matched a post, read
//! where it matched.
//!
//! A target is given by its forms as they appear in the text (a brand's
//! matched words, or the string `POST /v1/sentiment/analyze` names), found
//! again in the folded text as runs of words ([`locate`]). Around each place
//! SMRM reads:
//!
//! - **the local context**: the clause the target is in (up to `,`, `:`,
//!   `.`, `!`, `?`, `;` or a turn such as `но`, `а`, `зато`, `but`,
//!   `however`), grown across commas until it holds three words besides the
//!   target, never across a sentence end or a turn; the target's own words
//!   are blanked, so a brand's name carries no sentiment of its own;
//! - **roles**, by rules over the words before and after it: the subject or
//!   the object of a comparative (`лучше`, `хуже`, `дешевле`, `better`,
//!   `worse`, … with or without `чем` / `than`), the one left or the one
//!   chosen after a verb of switching (`перешёл с … на …`, `ушла от … к …`,
//!   `switched from … to …`, `left … for …`), the one contrasted (`в
//!   отличие от`, `по сравнению с`, `вместо`, `unlike`, `compared to`,
//!   `instead of`), and a negation that reaches it;
//! - the words right before and after it (three each side, by stem).
//!
//! The shared text model scores the whole text and the local context; a
//! small second model, the **target head**, combines those two scores — each
//! also gated by the target's role, so `unlike X, …` can learn to turn the
//! rest of the sentence around — with the role and window features. The
//! head is trained on RuSentNE's entity-level sentences and on examples
//! generated from the sentence-level sets ([`super::generate`]). A text with
//! no target, or whose target is not found in it, is scored on the whole
//! text alone.

use xxhash_rust::xxh3::xxh3_64_with_seed;

use super::features::{self, Feature, Spanned, Token};
use super::model::Logits;

/// A target's place: a byte range of the folded text.
pub type Place = (usize, usize);

pub use smrm_domain::text::MAX_PLACES;

/// Hash buckets of the target head: 2^16 × 3 classes × 2 bytes = 384 KiB.
pub const HEAD_BITS: u32 = 16;

/// Buckets below this carry the dense inputs (the text model's scores).
const DENSE: u32 = 64;

/// Words a local context should hold besides the target before it stops
/// growing across commas.
const LOCAL_WORDS: usize = 3;

/// Words each side of a target read as its window.
const WINDOW: usize = 3;

/// The places of `forms` (a target as written) in `folded`: see
/// [`smrm_domain::text::places`].
pub fn locate<S: AsRef<str>>(folded: &str, forms: &[S]) -> Vec<Place> {
    smrm_domain::text::places(folded, forms)
}

/// What a target's place says about its role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    /// Always on: the base weights of the gated scores.
    Any = 0,
    /// `в отличие от X`, `unlike X`, `instead of X`.
    Contrasted = 1,
    /// `перешёл с X`, `switched from X`, `left X`.
    Left = 2,
    /// `перешёл на X`, `switched to X`.
    Chosen = 3,
    /// `X лучше …`, `… хуже X`: the better one.
    Better = 4,
    /// `X хуже …`, `… лучше X`: the worse one.
    Worse = 5,
}

const ROLES: [Role; 6] = [Role::Any, Role::Contrasted, Role::Left, Role::Chosen, Role::Better, Role::Worse];

const CONTRASTS: &[&[&str]] = &[
    &["отличие", "от"],
    &["сравнению", "с"],
    &["сравнению", "со"],
    &["вместо"],
    &["unlike"],
    &["compared", "to"],
    &["compared", "with"],
    &["instead", "of"],
    &["versus"],
    &["vs"],
];

/// Switching verbs, by the start of the folded word (Russian) or whole (English).
const SWITCH_STARTS: &[&str] = &[
    "перешел",
    "перешл",
    "перешед",
    "перехож",
    "перехож",
    "перейд",
    "ушел",
    "ушл",
    "ухож",
    "уйд",
    "сменил",
    "сменял",
    "поменял",
    "переехал",
    "переехать",
    "переключ",
    "сбежал",
    "сбежа",
    "свалил",
    "бросил",
    "отказал",
];
const SWITCH_WORDS: &[&str] = &[
    "switch",
    "switched",
    "switching",
    "moved",
    "move",
    "moving",
    "went",
    "left",
    "leave",
    "leaving",
    "migrated",
    "changed",
    "ditched",
    "dropped",
    "jumped",
    "quit",
];
/// Switching verbs after which the target itself is the one left (`бросил X`, `left X`).
const LEAVES_DIRECTLY: &[&str] = &["left", "ditched", "dropped", "quit", "leaving", "leave"];
const FROM: &[&str] = &["с", "со", "от", "из", "from", "off"];
const TO: &[&str] = &["на", "в", "во", "к", "ко", "to", "for"];

/// Comparatives that praise what comes first, and those that blame it.
const BETTER: &[&str] = &[
    "лучше",
    "круче",
    "дешевле",
    "быстрее",
    "надежнее",
    "удобнее",
    "приятнее",
    "выгоднее",
    "стабильнее",
    "качественнее",
    "better",
    "cheaper",
    "faster",
    "nicer",
    "superior",
    "smoother",
];
const WORSE: &[&str] =
    &["хуже", "дороже", "медленнее", "слабее", "неудобнее", "worse", "slower", "pricier", "inferior", "weaker"];

fn word_of(t: &Spanned) -> Option<&str> {
    match &t.token {
        Token::Word { text, .. } => Some(text),
        _ => None,
    }
}

fn is_switch(word: &str) -> bool {
    SWITCH_WORDS.contains(&word) || SWITCH_STARTS.iter().any(|s| word.starts_with(s))
}

fn ends_clause(t: &Spanned) -> bool {
    matches!(t.token, Token::Break { .. }) || word_of(t).is_some_and(|w| features::TURNS.contains(&w))
}

fn ends_sentence(t: &Spanned) -> bool {
    matches!(t.token, Token::Break { strong: true }) || word_of(t).is_some_and(|w| features::TURNS.contains(&w))
}

/// What the head reads of a target, besides the text model's scores.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Context {
    /// The local context: its clauses with the target blanked.
    pub local: String,
    pub roles: Vec<Role>,
    /// Hashed features (window words, roles, negation) before numbering.
    pub hashed: Vec<u64>,
}

/// The context of the target at `places` of `folded`, read as `tokens`.
pub(super) fn context(folded: &str, tokens: &[Spanned], places: &[Place]) -> Option<Context> {
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    let mut cx = Context { roles: vec![Role::Any], ..Default::default() };
    let mut inside = vec![false; tokens.len()];
    let mut spans: Vec<(usize, usize)> = Vec::new();
    for &(start, end) in places {
        let Some(a) = tokens.iter().position(|t| t.end > start && t.start < end) else { continue };
        let b = tokens.iter().rposition(|t| t.end > start && t.start < end).unwrap_or(a);
        inside[a..=b].iter_mut().for_each(|x| *x = true);
        spans.push((a, b));
    }
    if spans.is_empty() {
        return None;
    }
    for &(a, b) in &spans {
        let mut left = a;
        while left > 0 && !ends_clause(&tokens[left - 1]) {
            left -= 1;
        }
        let mut right = b;
        while right + 1 < tokens.len() && !ends_clause(&tokens[right + 1]) {
            right += 1;
        }
        let count = |l: usize, r: usize| (l..=r).filter(|&i| !inside[i] && word_of(&tokens[i]).is_some()).count();
        // Grow across commas (weak breaks) while the clause says too little.
        while count(left, right) < LOCAL_WORDS {
            // Never into a clause a turn opens (`…, а X …`, `…, but X …`).
            let grow_right = right + 2 < tokens.len()
                && tokens[right + 1].token == Token::Break { strong: false }
                && !ends_clause(&tokens[right + 2]);
            let grow_left = left >= 2 && tokens[left - 1].token == Token::Break { strong: false };
            if grow_right {
                right += 2;
                while right + 1 < tokens.len() && !ends_clause(&tokens[right + 1]) {
                    right += 1;
                }
            } else if grow_left {
                left -= 2;
                while left > 0 && !ends_clause(&tokens[left - 1]) {
                    left -= 1;
                }
            } else {
                break;
            }
        }
        ranges.push((left, right));
        roles_at(tokens, a, b, left, right, &mut cx);
        // The clause's words, by stem: what the head learns of the context
        // beyond the text model's view of it.
        let mut stem = String::new();
        for i in (left..=right).filter(|&i| !inside[i]) {
            if let Some(w) = word_of(&tokens[i]) {
                stem.clear();
                crate::matcher::push_stem(w, &mut stem);
                cx.hashed.push(hash(b"C", stem.as_bytes()));
            }
        }
    }
    ranges.sort_unstable();
    ranges.dedup();
    // The clauses' text, with the target's words blanked.
    for (left, right) in merge(ranges) {
        let mut i = left;
        while i <= right {
            let t = &tokens[i];
            if inside[i] {
                cx.local.push(' ');
            } else {
                cx.local.push_str(&folded[t.start..t.end]);
                cx.local.push(' ');
            }
            i += 1;
        }
        cx.local.push_str(". ");
    }
    cx.roles.sort_unstable_by_key(|r| *r as u8);
    cx.roles.dedup();
    for r in &cx.roles[1..] {
        cx.hashed.push(hash(b"role", &[*r as u8]));
    }
    let n = spans.len().min(3) as u8;
    cx.hashed.push(hash(b"places", &[n]));
    if spans[0].0 == 0 {
        cx.hashed.push(hash(b"first", b""));
    }
    cx.hashed.sort_unstable();
    cx.hashed.dedup();
    Some(cx)
}

fn merge(mut ranges: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    ranges.sort_unstable();
    let mut out: Vec<(usize, usize)> = Vec::with_capacity(ranges.len());
    for (l, r) in ranges {
        match out.last_mut() {
            Some(last) if l <= last.1 + 1 => last.1 = last.1.max(r),
            _ => out.push((l, r)),
        }
    }
    out
}

fn hash(kind: &[u8], bytes: &[u8]) -> u64 {
    xxh3_64_with_seed(bytes, xxh3_64_with_seed(kind, 0x5EED))
}

/// The roles and window of the target at tokens `a..=b`, whose clause is
/// `left..=right`.
fn roles_at(tokens: &[Spanned], a: usize, b: usize, left: usize, right: usize, cx: &mut Context) {
    // The words of the sentence before and after, nearest first.
    let before: Vec<&str> =
        tokens[..a].iter().rev().take_while(|t| !ends_sentence(t)).filter_map(word_of).take(6).collect();
    let after: Vec<&str> =
        tokens[b + 1..].iter().take_while(|t| !ends_sentence(t)).filter_map(word_of).take(WINDOW).collect();
    let mut stem = String::new();
    for (side, ws) in [(b"L" as &[u8], &before[..before.len().min(WINDOW)]), (b"R", &after[..])] {
        for w in ws {
            stem.clear();
            crate::matcher::push_stem(w, &mut stem);
            cx.hashed.push(hash(side, stem.as_bytes()));
        }
    }
    // The target's own words, by stem: what RuSentNE says of `боевики` or
    // `полиция` wherever they stand. A brand's name is in no training row,
    // so for a brand these weigh nothing (measured over five folds, `smrm
    // sentiment folds`: entity F1 pos/neg 0.299 → 0.317). Distance-marked
    // window words and a window of five did not help.
    for w in tokens[a..=b].iter().filter_map(word_of) {
        stem.clear();
        crate::matcher::push_stem(w, &mut stem);
        cx.hashed.push(hash(b"T", stem.as_bytes()));
    }
    // Contrasted: the words right before it are a contrast.
    if CONTRASTS.iter().any(|c| c.len() <= before.len() && c.iter().rev().zip(&before).all(|(x, y)| x == y)) {
        cx.roles.push(Role::Contrasted);
    }
    // Switching: a verb of switching in the few words before, then a
    // preposition right before the target.
    if let Some(v) = before.iter().take(5).position(|w| is_switch(w)) {
        match before.first() {
            Some(p) if v > 0 && FROM.contains(p) => cx.roles.push(Role::Left),
            Some(p) if v > 0 && TO.contains(p) => cx.roles.push(Role::Chosen),
            Some(w) if v == 0 && (LEAVES_DIRECTLY.contains(w) || w.starts_with("бросил")) => {
                cx.roles.push(Role::Left)
            }
            _ => {}
        }
    }
    // A comparative in the clause: before it the subject, after it the object.
    for i in left..=right {
        let Some(w) = word_of(&tokens[i]) else { continue };
        let sign = if BETTER.contains(&w) {
            1
        } else if WORSE.contains(&w) {
            -1
        } else {
            continue;
        };
        // `не лучше`: the comparison is denied.
        let denied = i > 0 && word_of(&tokens[i - 1]).is_some_and(features::is_negator);
        let sign = if denied { -sign } else { sign };
        let subject = b < i;
        cx.roles.push(if subject == (sign > 0) { Role::Better } else { Role::Worse });
        break;
    }
    // A negation reaching it from the words before, within its clause.
    let reach = usize::from(features::NEGATION_REACH);
    if tokens[left..a].iter().rev().filter_map(word_of).take(reach).any(features::is_negator) {
        cx.hashed.push(hash(b"negated", b""));
    }
}

/// Centred logits: softmax does not see a common shift, the head should not either.
fn centred(z: Logits) -> Logits {
    let m = (z[0] + z[1] + z[2]) / 3.0;
    z.map(|x| x - m)
}

/// The head's features: the text model's scores of the whole text and of
/// the local context (each also per role), then the hashed features.
pub(super) fn head_features(whole: Logits, local: Option<Logits>, cx: &Context) -> Vec<Feature> {
    let mut out = Vec::with_capacity(48 + cx.hashed.len());
    let has_local = local.is_some();
    let whole = centred(whole);
    for (k, v) in whole.iter().enumerate() {
        out.push((k as u32, *v));
    }
    let (local, rest) = match local {
        Some(l) => {
            let l = centred(l);
            (l, [whole[0] - l[0], whole[1] - l[1], whole[2] - l[2]])
        }
        None => ([0.0; 3], whole),
    };
    for r in &cx.roles {
        let at = 3 + *r as u32 * 6;
        for k in 0..3 {
            out.push((at + k as u32, local[k]));
            out.push((at + 3 + k as u32, rest[k]));
        }
    }
    debug_assert!(3 + ROLES.len() as u32 * 6 <= DENSE);
    let mask = (1u64 << HEAD_BITS) - 1;
    let span = mask + 1 - u64::from(DENSE);
    // Each at weight 1 (normalising them as a block cost 4 points of
    // entity-level F1: a long clause drowned its telling word).
    for h in &cx.hashed {
        out.push(((u64::from(DENSE) + (h % span)) as u32, 1.0));
    }
    if !has_local {
        out.push((DENSE - 1, 1.0));
    }
    out
}

#[cfg(test)]
mod tests {
    use smrm_domain::text::fold;

    use super::*;

    fn places(text: &str, forms: &[&str]) -> Vec<String> {
        let folded = fold(text);
        locate(&folded, forms).into_iter().map(|(a, b)| folded[a..b].to_owned()).collect()
    }

    #[test]
    fn a_target_is_found_as_whole_words_in_any_case() {
        assert_eq!(places("Мегасвязь подвела, Дейнет — нет", &["МЕГАСВЯЗЬ"]), ["мегасвязь"]);
        assert_eq!(places("Daynet-Pro and daynet pro", &["Daynet Pro"]), ["daynet-pro", "daynet pro"]);
        assert!(places("Daynetwork", &["daynet"]).is_empty());
        assert!(places("anything", &["", "!!"]).is_empty());
        assert_eq!(places(&"x daynet ".repeat(1000), &["daynet"]).len(), MAX_PLACES);
    }

    fn context_of(text: &str, form: &str) -> Context {
        let folded = fold(text);
        let tokens = features::spanned(&folded);
        context(&folded, &tokens, &locate(&folded, &[form])).expect("the target is in the text")
    }

    #[test]
    fn the_local_context_is_the_targets_clause_without_it() {
        let cx = context_of("Мегасвязь подвела, перешёл на Дейнет — доволен", "Дейнет");
        assert!(cx.local.contains("перешел на") && cx.local.contains("доволен"), "{:?}", cx.local);
        assert!(!cx.local.contains("подвела") && !cx.local.contains("дейнет"), "{:?}", cx.local);
        // A clause too short grows across the comma, not across a turn.
        let cx = context_of("Дейнет, как всегда, на высоте. А Мегасвязь нет", "Дейнет");
        assert!(cx.local.contains("как всегда") && cx.local.contains("на высоте"), "{:?}", cx.local);
        assert!(!cx.local.contains("мегасвязь"), "{:?}", cx.local);
        let cx = context_of("Дейнет радует, а Мегасвязь опять без связи", "Дейнет");
        assert!(!cx.local.contains("мегасвязь") && !cx.local.contains("связи"), "{:?}", cx.local);
    }

    #[test]
    fn roles_come_from_comparisons_switches_and_contrasts() {
        let role = |text: &str, form: &str| context_of(text, form).roles;
        assert!(role("Мегасвязь лучше, чем Дейнет", "Мегасвязь").contains(&Role::Better));
        assert!(role("Мегасвязь лучше, чем Дейнет", "Дейнет").contains(&Role::Worse));
        assert!(role("Daynet is worse than Megalink", "Daynet").contains(&Role::Worse));
        assert!(role("Daynet is not better than Megalink", "Daynet").contains(&Role::Worse));
        assert!(role("Перешёл с Мегасвязи на Дейнет", "Мегасвязи").contains(&Role::Left));
        assert!(role("Перешёл с Мегасвязи на Дейнет", "Дейнет").contains(&Role::Chosen));
        assert!(role("Finally left Megalink for Daynet", "Megalink").contains(&Role::Left));
        assert!(role("Finally left Megalink for Daynet", "Daynet").contains(&Role::Chosen));
        assert!(role("В отличие от Мегасвязи, Дейнет работает", "Мегасвязи").contains(&Role::Contrasted));
        assert!(role("Unlike Megalink, Daynet works", "Megalink").contains(&Role::Contrasted));
        assert_eq!(role("Daynet works", "Daynet"), [Role::Any]);
    }

    #[test]
    fn head_features_are_in_range() {
        let cx = context_of("Перешёл с Мегасвязи на Дейнет, не жалею", "Дейнет");
        let fs = head_features([1.0, 0.0, -1.0], Some([0.5, 0.1, 0.2]), &cx);
        assert!(fs.iter().all(|(i, v)| *i < 1 << HEAD_BITS && v.is_finite()));
        assert!(fs.iter().any(|(i, _)| *i >= DENSE), "hashed features");
    }
}
