//! Targeted examples made from the sentence-level sets, by rules, to train
//! the target head on what the entity-level set (news) lacks: social posts
//! about one brand, and posts about two brands with opposite feelings.
//!
//! The brands are invented names (below), never the ones the tests use.
//! From short rows (2–25 words) of the given sets, with a fixed seed:
//!
//! 1. **One brand**: a row with a brand put before or after it (`{B}: …`,
//!    `Про {B}: …`, `… #{B}`, `About {B}: …`); the brand gets the row's label.
//! 2. **Two brands, two rows**: two rows each tied to its own brand (`{A}:
//!    … {B}: …`, `{A} — … А {B} — …`, `… That's {A}. … That's {B}.`);
//!    each brand gets its row's label. Mostly a positive and a negative row,
//!    in either order; a fifth of the pairs pair a neutral row with a polar one.
//! 3. **Two brands, one relation**, with SMRM's own short phrase lists:
//!    switching (`перешёл с A на B`, `switched from A to B`, `left A for
//!    B`: A negative, B positive, with a positive row after it or not),
//!    comparison (`A лучше, чем B`, `A хуже B`, `A is better than B`: the
//!    better one positive, the worse negative), contrast (`в отличие от A,
//!    B …`, `unlike A, B …`: B gets the phrase's label, A the opposite),
//!    and two verdicts (`A подвёл, а B не подводит`, `A keeps crashing, but
//!    B just works`), each also with the brands the other way round.
//! 4. **A brand in the sentence**: a row whose first subject pronoun (`он`,
//!    `она`, `оно`, `они`, `это`; `it`, `this`, `that`, `he`, `she`,
//!    `they`) is replaced by a brand's name; the brand gets the row's label.
//!    Without these, a brand named inside a sentence was only ever seen in
//!    comparisons, switches and contrasts, all polar, and the head called
//!    `Daynet will publish its report on Monday` positive.

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};

use super::data::Labelled;

/// A text, a target in it (as written), and the sentiment toward it.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetedRow {
    pub label: usize,
    pub text: String,
    pub target: String,
}

const NEG: usize = 0;
const NEU: usize = 1;
const POS: usize = 2;

/// Russian brand names: nominative, genitive, dative, accusative.
const RU_NAMES: &[[&str; 4]] = &[
    ["Связьтел", "Связьтела", "Связьтелу", "Связьтел"],
    ["Мобиком", "Мобикома", "Мобикому", "Мобиком"],
    ["Телесфера", "Телесферы", "Телесфере", "Телесферу"],
    ["Банкор", "Банкора", "Банкору", "Банкор"],
    ["Вкусторг", "Вкусторга", "Вкусторгу", "Вкусторг"],
    ["Продмаркет", "Продмаркета", "Продмаркету", "Продмаркет"],
    ["Автоленд", "Автоленда", "Автоленду", "Автоленд"],
    ["Сберкасса", "Сберкассы", "Сберкассе", "Сберкассу"],
    ["Тарифон", "Тарифона", "Тарифону", "Тарифон"],
    ["Домострой", "Домостроя", "Домострою", "Домострой"],
    ["Медиалайн", "Медиалайна", "Медиалайну", "Медиалайн"],
    ["Летоптица", "Летоптицы", "Летоптице", "Летоптицу"],
];

/// Latin names, used as written in both languages (Russian leaves them uninflected).
const LATIN_NAMES: &[&str] = &[
    "Nordlink",
    "Zentro",
    "Altamo",
    "Kvadra",
    "Bellfast",
    "Orbico",
    "Lumetta",
    "Vexon",
    "Tarifo",
    "Skyra",
    "Dromo",
    "Quanta Foods",
    "Pelikan Bank",
    "Sotamo",
    "Grivna Pay",
];

const RU_GOOD: &[&str] = &[
    "работает без сбоев",
    "радует",
    "на высоте",
    "не подводит",
    "отвечает быстро",
    "порадовал",
    "просто супер",
    "всем советую",
];
const RU_BAD: &[&str] = &[
    "постоянно тормозит",
    "разочаровал",
    "не отвечает",
    "бесит",
    "подвёл",
    "опять сломался",
    "полный отстой",
    "не советую",
];
const EN_GOOD: &[&str] =
    &["just works", "never lets me down", "is great", "answers fast", "is worth it", "made my day", "rocks"];
const EN_BAD: &[&str] =
    &["keeps crashing", "let me down", "is a mess", "never answers", "is a rip-off", "ruined my week", "sucks"];
const RU_BETTER: &[&str] = &["лучше", "надёжнее", "дешевле", "удобнее", "быстрее"];
const RU_WORSE: &[&str] = &["хуже", "дороже", "медленнее"];
const EN_BETTER: &[&str] = &["better", "cheaper", "faster", "nicer"];
const EN_WORSE: &[&str] = &["worse", "slower", "pricier"];

const RU_SUBJECTS: &[&str] = &["он", "она", "оно", "они", "это"];
const EN_SUBJECTS: &[&str] = &["it", "this", "that", "he", "she", "they"];

/// `text` with its first word that is one of `subjects` (in any case)
/// replaced by `name`, if it has one.
fn with_subject(text: &str, subjects: &[&str], name: &str) -> Option<String> {
    let mut start = None;
    for (i, c) in text.char_indices().chain(std::iter::once((text.len(), ' '))) {
        if c.is_alphanumeric() {
            start.get_or_insert(i);
        } else if let Some(s) = start.take()
            && subjects.contains(&text[s..i].to_lowercase().as_str())
        {
            return Some(format!("{}{name}{}", &text[..s], &text[i..]));
        }
    }
    None
}

struct Pick(ChaCha8Rng);

impl Pick {
    fn below(&mut self, n: usize) -> usize {
        (self.0.next_u64() % n as u64) as usize
    }
    fn one<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

/// A brand: its forms by case (Latin names have one).
#[derive(Clone, Copy)]
struct Name {
    forms: [&'static str; 4],
}

impl Name {
    fn nom(&self) -> &'static str {
        self.forms[0]
    }
    fn genitive(&self) -> &'static str {
        self.forms[1]
    }
    fn dat(&self) -> &'static str {
        self.forms[2]
    }
}

fn two_names(pick: &mut Pick, russian: bool) -> (Name, Name) {
    let name = |pick: &mut Pick| {
        if russian && pick.chance(60) {
            Name { forms: *pick.one(RU_NAMES) }
        } else {
            Name { forms: [*pick.one(LATIN_NAMES); 4] }
        }
    };
    let a = name(pick);
    loop {
        let b = name(pick);
        if b.nom() != a.nom() {
            return (a, b);
        }
    }
}

/// A row's text ending in a sentence end.
fn sentence(text: &str) -> String {
    let t = text.trim();
    match t.chars().last() {
        Some(c) if c.is_alphanumeric() => format!("{t}."),
        _ => t.to_owned(),
    }
}

fn short(rows: &[Labelled]) -> [Vec<&Labelled>; 3] {
    let mut by_label: [Vec<&Labelled>; 3] = Default::default();
    for r in rows {
        let words = r.text.split_whitespace().count();
        if (2..=25).contains(&words) && !r.text.contains(['\n', '\t']) {
            by_label[r.label].push(r);
        }
    }
    by_label
}

/// How many posts of each kind [`generate`] makes.
#[derive(Debug, Clone, Copy)]
pub struct Mix {
    pub one_brand: usize,
    pub two_rows: usize,
    pub relations: usize,
    pub in_sentence: usize,
}

impl Mix {
    /// What the head is trained on, per `n`: as many one-brand posts (a
    /// third of them neutral) as two-brand ones, so the head does not learn
    /// that a brand is mostly talked of with feeling.
    pub fn training(n: usize) -> Self {
        Self { one_brand: 2 * n, two_rows: n, relations: n, in_sentence: 2 * n }
    }

    /// Two-brand posts only, for measuring.
    pub fn two_brands(n: usize) -> Self {
        Self { one_brand: 0, two_rows: n, relations: 2 * n, in_sentence: 0 }
    }
}

/// Examples of each kind, as many as `mix` says, from `rows` (one
/// language's), with `seed`, in the order of the kinds.
pub fn generate(rows: &[Labelled], russian: bool, mix: Mix, seed: u64) -> Vec<TargetedRow> {
    let pools = short(rows);
    if pools.iter().any(|p| p.is_empty()) {
        return Vec::new();
    }
    let mut pick = Pick(ChaCha8Rng::seed_from_u64(seed));
    let mut out = Vec::with_capacity(mix.one_brand + 2 * (mix.two_rows + mix.relations) + mix.in_sentence);
    let push = |out: &mut Vec<TargetedRow>, text: &str, target: &str, label: usize| {
        out.push(TargetedRow { label, text: text.to_owned(), target: target.to_owned() })
    };
    // 1. One brand.
    for _ in 0..mix.one_brand {
        let label = pick.below(3);
        let row = pick.one(&pools[label]);
        let (b, _) = two_names(&mut pick, russian);
        let t = row.text.trim();
        let text = match (russian, pick.below(5)) {
            (_, 0) => format!("{}: {t}", b.nom()),
            (_, 1) => format!("{t} #{}", b.nom().replace(' ', "")),
            (true, 2) => format!("Про {}: {t}", b.nom()),
            (false, 2) => format!("About {}: {t}", b.nom()),
            (_, 3) => format!("{} — {t}", b.nom()),
            _ => format!("{} ({})", sentence(t), b.nom()),
        };
        let target = if text.contains('#') { b.nom().replace(' ', "") } else { b.nom().to_owned() };
        push(&mut out, &text, &target, row.label);
    }
    // 2. Two brands, two rows.
    for _ in 0..mix.two_rows {
        let (first, second) = match pick.below(10) {
            0 | 1 => (NEU, POS),
            2 | 3 => (NEG, NEU),
            k if k % 2 == 0 => (POS, NEG),
            _ => (NEG, POS),
        };
        let (s1, s2) = (sentence(&pick.one(&pools[first]).text), sentence(&pick.one(&pools[second]).text));
        let (a, b) = two_names(&mut pick, russian);
        let (a, b) = (a.nom(), b.nom());
        let text = match (russian, pick.below(4)) {
            (_, 0) => format!("{a}: {s1} {b}: {s2}"),
            (true, 1) => format!("{a} — {s1} А {b} — {s2}"),
            (false, 1) => format!("{a}: {s1} But {b}: {s2}"),
            (true, 2) => format!("Про {a}: {s1} Зато про {b}: {s2}"),
            (false, 2) => format!("As for {a}: {s1} As for {b}: {s2}"),
            (true, _) => format!("{s1} Это про {a}. {s2} Это про {b}."),
            (false, _) => format!("{s1} That's {a}. {s2} That's {b}."),
        };
        push(&mut out, &text, a, first);
        push(&mut out, &text, b, second);
    }
    // 3. Two brands, one relation.
    for _ in 0..mix.relations {
        let (a, b) = two_names(&mut pick, russian);
        let tail = if pick.chance(50) { format!(" {}", sentence(&pick.one(&pools[POS]).text)) } else { String::new() };
        let (an, ag, bn, bg, bd) = (a.nom(), a.genitive(), b.nom(), b.genitive(), b.dat());
        // (text, A's form and label, B's form and label)
        let (text, (fa, la), (fb, lb)) = if russian {
            match pick.below(7) {
                0 => (format!("Перешёл с {ag} на {bn}.{tail}"), (ag, NEG), (bn, POS)),
                1 => (format!("Ушла от {ag} к {bd}, {}.", pick.one(RU_GOOD)), (ag, NEG), (bd, POS)),
                2 => (format!("На {bn} перешли с {ag}.{tail}"), (ag, NEG), (bn, POS)),
                3 if pick.chance(50) => (format!("{an} {}, чем {bn}.", pick.one(RU_BETTER)), (an, POS), (bn, NEG)),
                3 => (format!("{an} {} {bg}.", pick.one(RU_BETTER)), (an, POS), (bg, NEG)),
                4 => (format!("{an} намного {}, чем {bn}.", pick.one(RU_WORSE)), (an, NEG), (bn, POS)),
                5 if pick.chance(50) => {
                    (format!("В отличие от {ag}, {bn} {}.", pick.one(RU_GOOD)), (ag, NEG), (bn, POS))
                }
                5 => (format!("В отличие от {ag}, {bn} {}.", pick.one(RU_BAD)), (ag, POS), (bn, NEG)),
                _ => (format!("{an} {}, а {bn} {}.", pick.one(RU_BAD), pick.one(RU_GOOD)), (an, NEG), (bn, POS)),
            }
        } else {
            match pick.below(7) {
                0 => (format!("Switched from {an} to {bn}.{tail}"), (an, NEG), (bn, POS)),
                1 => {
                    let then = pick.one(&["never looked back", "I'm happy", "it was worth it"]);
                    (format!("Left {an} for {bn} and {then}."), (an, NEG), (bn, POS))
                }
                2 => (format!("Moved to {bn} from {an}.{tail}"), (an, NEG), (bn, POS)),
                3 => (format!("{an} is {} than {bn}.", pick.one(EN_BETTER)), (an, POS), (bn, NEG)),
                4 => (format!("{an} is way {} than {bn}.", pick.one(EN_WORSE)), (an, NEG), (bn, POS)),
                5 if pick.chance(50) => (format!("Unlike {an}, {bn} {}.", pick.one(EN_GOOD)), (an, NEG), (bn, POS)),
                5 => (format!("Unlike {an}, {bn} {}.", pick.one(EN_BAD)), (an, POS), (bn, NEG)),
                _ => (format!("{an} {}, but {bn} {}.", pick.one(EN_BAD), pick.one(EN_GOOD)), (an, NEG), (bn, POS)),
            }
        };
        push(&mut out, &text, fa, la);
        push(&mut out, &text, fb, lb);
    }
    // 4. A brand in the sentence.
    let subjects = if russian { RU_SUBJECTS } else { EN_SUBJECTS };
    let pools: Vec<Vec<&Labelled>> = pools
        .iter()
        .map(|p| p.iter().copied().filter(|r| with_subject(&r.text, subjects, "").is_some()).collect())
        .collect();
    if pools.iter().all(|p| !p.is_empty()) {
        for _ in 0..mix.in_sentence {
            let label = pick.below(3);
            let row = pick.one(&pools[label]);
            let (b, _) = two_names(&mut pick, russian);
            let text = with_subject(row.text.trim(), subjects, b.nom()).expect("the pool's rows have a subject");
            push(&mut out, &text, b.nom(), row.label);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows() -> Vec<Labelled> {
        ["ужасный сервис, он никогда больше", "обычный день в офисе, это вторник", "спасибо, всё отлично работает"]
            .iter()
            .enumerate()
            .map(|(label, text)| Labelled { label, text: (*text).into() })
            .collect()
    }

    #[test]
    fn a_subject_pronoun_gives_its_place_to_the_brand() {
        assert_eq!(with_subject("Well, it works!", EN_SUBJECTS, "Zentro").as_deref(), Some("Well, Zentro works!"));
        assert_eq!(with_subject("Это — провал", RU_SUBJECTS, "Банкор").as_deref(), Some("Банкор — провал"));
        assert_eq!(with_subject("Itself, thistle", EN_SUBJECTS, "Zentro"), None, "whole words only");
    }

    #[test]
    fn every_target_is_in_its_text_and_the_output_is_reproducible() {
        let mix = Mix { one_brand: 50, two_rows: 50, relations: 100, in_sentence: 50 };
        let out = generate(&rows(), true, mix, 7);
        // The positive row has no subject to replace: no kind 4.
        assert_eq!(out.len(), 50 + 100 + 200);
        let mut subjects = rows();
        subjects[2].text = "спасибо, она отлично работает".into();
        let out = generate(&subjects, true, mix, 7);
        assert_eq!(out.len(), 50 + 100 + 200 + 50);
        let placed = out.iter().filter(|r| !r.text.contains(" она ") && r.text.contains(" отлично работает"));
        assert!(placed.count() > 0, "a brand took the pronoun's place");
        for r in &out {
            let folded = smrm_domain::text::fold(&r.text);
            assert!(!super::super::target::locate(&folded, &[&r.target]).is_empty(), "{r:?}");
        }
        assert!(out == generate(&subjects, true, mix, 7), "the same rows and seed make the same examples");
        assert!(out.iter().any(|r| r.label == POS) && out.iter().any(|r| r.label == NEG));
    }
}
