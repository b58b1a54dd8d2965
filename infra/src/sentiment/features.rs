//! Text → hashed sparse features for the sentiment model.
//!
//! The text is folded like the matcher folds it (NFKC, lower case, `ё` = `е`),
//! then read as tokens: words (internal apostrophes kept, so `don't` is one
//! word), emoji, emoticons (`:)`, `)))`, `(((`, `<3`), and placeholders for
//! URLs, @handles and numbers; a hashtag is its word. Each token gives:
//!
//! - the word, and its Snowball stem (Russian or English by script), marked
//!   when a negation (`не`, `not`, `never`, `n't`, …) governs it: the three
//!   words after a negator, up to punctuation or `но`/`but`;
//! - stem bigrams, within a clause;
//! - for English words in the VADER lexicon, their valence class (−4…4,
//!   negation-marked), so a sentiment word training never saw still counts;
//!
//! and the text gives character 3–5-grams of its folded form (spaces
//! included, as `<не плохо>`), so an inflected or misspelt form shares most
//! of its evidence with the lemma. An elongated word (`оооочень`, `soooo`) is
//! read with its runs cut to two letters, and also gives its runs cut to one
//! as a second word; three capitals in a row set a flag. Flags of
//! the whole text (its script, the VADER sum's class) act as intercepts.
//!
//! Word-level and character features are each normalised to unit length (two
//! blocks, as TF-IDF models concatenate them; the character block weighs
//! [`CHAR_WEIGHT`]), and every feature is hashed into `2^bits` buckets with
//! xxh3: a stable, specified hash, so the committed weights mean the same on
//! every machine.

use smrm_domain::text::{fold, is_word_char};
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// A feature: its bucket and its value.
pub type Feature = (u32, f32);

/// Hash seeds per feature kind, so a word and an n-gram of the same letters
/// are different features.
mod kind {
    pub const WORD: u64 = 1;
    pub const NEG_WORD: u64 = 2;
    pub const STEM: u64 = 3;
    pub const NEG_STEM: u64 = 4;
    pub const BIGRAM: u64 = 5;
    pub const CHAR: u64 = 6;
    pub const FLAG: u64 = 7;
    pub const LEXICON: u64 = 8;
    pub const NEG_LEXICON: u64 = 9;
}

/// The VADER lexicon (MIT, C.J. Hutto; `infra/models/vader_lexicon.LICENSE.txt`):
/// English words and emoticons with their mean valence in [-4, 4].
static VADER: &str = include_str!("../../models/vader_lexicon.tsv");

fn valence(word: &str) -> Option<f32> {
    static TABLE: std::sync::LazyLock<rustc_hash::FxHashMap<String, f32>> = std::sync::LazyLock::new(|| {
        VADER
            .lines()
            .filter_map(|l| {
                let (w, v) = l.split_once('\t')?;
                Some((fold(w), v.parse().ok()?))
            })
            .collect()
    });
    TABLE.get(word).copied()
}

/// Emoji and emoticons with a valence on VADER's scale (SMRM's own list of
/// the common ones): they share the valence-class features with the
/// lexicon's words, so a 😡 counts like `furious` although the training sets
/// hold few emoji.
const SYMBOL_VALENCE: &[(&str, f32)] = &[
    ("<smile>", 2.0),
    ("<heart>", 3.0),
    ("<frown>", -2.0),
    ("😀", 2.0),
    ("😃", 2.0),
    ("😄", 2.0),
    ("😁", 2.0),
    ("😆", 2.0),
    ("😊", 2.0),
    ("☺", 2.0),
    ("🙂", 1.0),
    ("😍", 3.0),
    ("🥰", 3.0),
    ("😘", 2.0),
    ("😻", 3.0),
    ("🤩", 3.0),
    ("😎", 1.0),
    ("😉", 1.0),
    ("😋", 2.0),
    ("😂", 2.0),
    ("🤣", 2.0),
    ("👍", 2.0),
    ("👏", 2.0),
    ("🙌", 2.0),
    ("💪", 2.0),
    ("🔥", 2.0),
    ("❤", 3.0),
    ("💕", 3.0),
    ("💖", 3.0),
    ("💗", 3.0),
    ("💯", 2.0),
    ("🎉", 2.0),
    ("🥳", 3.0),
    ("✨", 1.0),
    ("✅", 1.0),
    ("⭐", 2.0),
    ("🌟", 2.0),
    ("🙏", 1.0),
    ("😡", -3.0),
    ("😠", -3.0),
    ("🤬", -3.0),
    ("😤", -2.0),
    ("😞", -2.0),
    ("😔", -2.0),
    ("😟", -2.0),
    ("😕", -1.0),
    ("🙁", -2.0),
    ("☹", -2.0),
    ("😣", -2.0),
    ("😖", -2.0),
    ("😫", -2.0),
    ("😩", -2.0),
    ("😢", -2.0),
    ("😭", -3.0),
    ("😱", -2.0),
    ("😨", -2.0),
    ("😰", -2.0),
    ("👎", -2.0),
    ("💩", -3.0),
    ("🤮", -3.0),
    ("🤢", -2.0),
    ("😒", -2.0),
    ("🙄", -1.0),
    ("❌", -1.0),
    ("⛔", -1.0),
    ("💔", -3.0),
    ("😓", -1.0),
];

fn symbol_valence(symbol: &str) -> Option<f32> {
    SYMBOL_VALENCE.iter().find(|(s, _)| *s == symbol).map(|(_, v)| *v)
}

/// How VADER scales a negated valence.
const NEGATED_VALENCE: f32 = -0.74;

const NEGATORS: &[&str] = &[
    "не",
    "ни",
    "нет",
    "без",
    "никогда",
    "ничего",
    "никто",
    "нельзя",
    "not",
    "no",
    "never",
    "nothing",
    "nobody",
    "none",
    "neither",
    "nor",
    "cannot",
    "without",
    "dont",
    "cant",
    "wont",
    "isnt",
    "doesnt",
    "didnt",
    "wasnt",
    "arent",
    "couldnt",
    "shouldnt",
    "wouldnt",
    "havent",
    "hasnt",
    "aint",
];
/// Words that end a negation's reach: the clause turns.
pub(super) const TURNS: &[&str] = &["но", "а", "однако", "зато", "but", "however", "though"];
/// How many words a negator governs.
pub(super) const NEGATION_REACH: u8 = 3;
/// Characters of a text read for n-grams.
const MAX_CHARS: usize = 400;
/// The character block's length against the word block's (tuned on the
/// validation files: character n-grams help Russian inflection, but at full
/// weight they drown the word evidence).
pub const CHAR_WEIGHT: f32 = 0.4;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Token {
    /// A word: as read (runs cut to two), its runs cut to one when elongated.
    Word { text: String, short: Option<String> },
    /// An emoji, an emoticon class or a placeholder.
    Symbol(String),
    /// Clause punctuation: ends negation and bigrams. `strong` for the end
    /// of a sentence (`.`, `!`, `?`, `…`, `;`), not for `,` or `:`.
    Break { strong: bool },
}

/// A token and the bytes of the folded text it was read from.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Spanned {
    pub token: Token,
    pub start: usize,
    pub end: usize,
}

fn is_emoji(c: char) -> bool {
    matches!(c as u32,
        0x2600..=0x27BF | 0x2B00..=0x2BFF | 0x1F000..=0x1FAFF | 0x2190..=0x21FF | 0x2300..=0x23FF | 0x3030 | 0x303D)
}

/// Joiners and modifiers inside emoji sequences: not tokens of their own.
fn is_emoji_modifier(c: char) -> bool {
    matches!(c as u32, 0xFE0E | 0xFE0F | 0x200D | 0x1F3FB..=0x1F3FF | 0x20E3)
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '’' | 'ʼ' | '`')
}

/// Whether a letter repeats `n` times in a row.
fn has_run(word: &str, n: usize) -> bool {
    let (mut last, mut run) = ('\0', 0);
    for c in word.chars() {
        run = if c == last { run + 1 } else { 1 };
        last = c;
        if run >= n {
            return true;
        }
    }
    false
}

/// Cuts runs of one letter to at most `keep` letters.
fn squeeze(word: &str, keep: usize) -> String {
    let mut out = String::with_capacity(word.len());
    let (mut last, mut run) = ('\0', 0);
    for c in word.chars() {
        if c == last {
            run += 1;
        } else {
            (last, run) = (c, 1);
        }
        if run <= keep {
            out.push(c);
        }
    }
    out
}

/// The tokens of a folded text.
#[cfg(test)]
fn tokens(folded: &str) -> Vec<Token> {
    spanned(folded).into_iter().map(|s| s.token).collect()
}

/// The tokens of a folded text with their byte ranges.
pub(super) fn spanned(folded: &str) -> Vec<Spanned> {
    let chars: Vec<char> = folded.chars().collect();
    // The byte offset of each character, and of the end.
    let bytes: Vec<usize> = folded.char_indices().map(|(b, _)| b).chain([folded.len()]).collect();
    let mut out: Vec<Spanned> = Vec::with_capacity(chars.len() / 4);
    let mut i = 0;
    let starts_with = |i: usize, s: &str| s.chars().enumerate().all(|(k, c)| chars.get(i + k) == Some(&c));
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() || is_emoji_modifier(c) {
            i += 1;
        } else if starts_with(i, "http://") || starts_with(i, "https://") || starts_with(i, "www.") {
            let start = i;
            while i < chars.len() && !chars[i].is_whitespace() {
                i += 1;
            }
            at(&mut out, Token::Symbol("<url>".into()), start, i);
        } else if c == '@' && chars.get(i + 1).is_some_and(|&n| is_word_char(n) || n == '_') {
            let start = i;
            i += 1;
            while i < chars.len() && (is_word_char(chars[i]) || matches!(chars[i], '_' | '.')) {
                i += 1;
            }
            at(&mut out, Token::Symbol("<user>".into()), start, i);
        } else if c == '#' && chars.get(i + 1).is_some_and(|&n| is_word_char(n)) {
            i += 1;
        } else if (c == ':' || c == ';')
            && chars.get(i + 1) == Some(&'d')
            && !chars.get(i + 2).is_some_and(|&n| is_word_char(n))
        {
            at(&mut out, Token::Symbol("<smile>".into()), i, i + 2);
            i += 2;
        } else if is_word_char(c) {
            let start = i;
            while i < chars.len()
                && (is_word_char(chars[i])
                    || chars[i] == '_'
                    || (is_apostrophe(chars[i]) && chars.get(i + 1).is_some_and(|&n| is_word_char(n))))
            {
                i += 1;
            }
            let raw: String = chars[start..i].iter().map(|&c| if is_apostrophe(c) { '\'' } else { c }).collect();
            if raw.chars().all(|c| c.is_ascii_digit()) {
                at(&mut out, Token::Symbol("<num>".into()), start, i);
                continue;
            }
            let (text, short) = if has_run(&raw, 3) {
                let short = squeeze(&raw, 1);
                (squeeze(&raw, 2), Some(short))
            } else {
                (raw, None)
            };
            at(&mut out, Token::Word { text, short }, start, i);
        } else if is_emoji(c) {
            at(&mut out, Token::Symbol(c.to_string()), i, i + 1);
            i += 1;
        } else {
            let start = i;
            while i < chars.len()
                && !chars[i].is_whitespace()
                && !is_word_char(chars[i])
                && !is_emoji(chars[i])
                && chars[i] != '@'
                && chars[i] != '#'
            {
                i += 1;
            }
            if i == start {
                // A lone `@` or `#` not followed by a word.
                i += 1;
            }
            let mut read = Vec::new();
            punctuation(&chars[start..i], &mut read);
            for token in read {
                at(&mut out, token, start, i);
            }
        }
    }
    // Character positions to bytes.
    for s in &mut out {
        (s.start, s.end) = (bytes[s.start], bytes[s.end]);
    }
    out
}

fn at(out: &mut Vec<Spanned>, token: Token, start: usize, end: usize) {
    out.push(Spanned { token, start, end });
}

/// Reads a run of punctuation: emoticons, `!` and `?`, clause breaks.
fn punctuation(run: &[char], out: &mut Vec<Token>) {
    let count = |x: char| run.iter().filter(|&&c| c == x).count();
    let (open, close) = (count('('), count(')'));
    let eyes = matches!(run.first(), Some(':' | ';' | '='));
    if run.windows(2).any(|w| w == ['<', '3']) {
        out.push(Token::Symbol("<heart>".into()));
    }
    if close > open && (eyes || close >= 2) {
        out.push(Token::Symbol("<smile>".into()));
    } else if open > close && (eyes || open >= 2) {
        out.push(Token::Symbol("<frown>".into()));
    }
    if count('!') > 0 {
        out.push(Token::Symbol("<excl>".into()));
    }
    if count('?') > 0 {
        out.push(Token::Symbol("<quest>".into()));
    }
    if run.iter().any(|c| matches!(c, '.' | '!' | '?' | ';' | '…')) {
        out.push(Token::Break { strong: true });
    } else if run.iter().any(|c| matches!(c, ',' | ':')) {
        out.push(Token::Break { strong: false });
    }
}

pub(super) fn is_negator(word: &str) -> bool {
    NEGATORS.contains(&word) || word.ends_with("n't")
}

fn has_cyrillic(word: &str) -> bool {
    word.chars().any(|c| matches!(c, '\u{0400}'..='\u{04FF}'))
}

/// Whether the original text shouts: three capitals in a row.
fn shouts(text: &str) -> bool {
    let mut run = 0;
    for c in text.chars() {
        let upper = match c {
            'A'..='Z' | 'А'..='Я' | 'Ё' => true,
            'a'..='z' | 'а'..='я' | 'ё' | '\0'..='\x7f' => false,
            _ => c.is_uppercase(),
        };
        if upper {
            run += 1;
            if run >= 3 {
                return true;
            }
        } else {
            run = 0;
        }
    }
    false
}

/// Turns texts into features.
#[derive(Debug, Clone, Copy)]
pub struct Extractor {
    mask: u64,
}

/// A text's buckets before weighting: word-level, then character n-grams.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Buckets {
    pub words: Vec<u32>,
    pub grams: Vec<u32>,
    /// Flags of the whole text (its script, shouting, elongation): weight 1,
    /// outside the normalised blocks, so each acts as an intercept.
    pub flags: Vec<u32>,
}

impl Extractor {
    pub fn new(bits: u32) -> Self {
        Self { mask: (1u64 << bits) - 1 }
    }

    fn bucket(&self, seed: u64, bytes: &[u8]) -> u32 {
        (xxh3_64_with_seed(bytes, seed) & self.mask) as u32
    }

    /// The features of `text`, in two unit-length blocks (word-level, then
    /// character n-grams). An index may repeat; a linear model sums them.
    pub fn extract(&self, text: &str) -> Vec<Feature> {
        self.weigh(self.buckets(text))
    }

    /// Counts → sublinear weights (1 + ln n) → unit length per block. (An
    /// IDF weighting was tried: it cost 1–2 points of macro-F1 here.)
    pub fn weigh(&self, mut b: Buckets) -> Vec<Feature> {
        let mut out = Vec::with_capacity(b.words.len() + b.grams.len() + b.flags.len());
        Self::normalised_block(&mut b.words, &mut out);
        let at = out.len();
        Self::normalised_block(&mut b.grams, &mut out);
        for f in &mut out[at..] {
            f.1 *= CHAR_WEIGHT;
        }
        out.extend(b.flags.iter().map(|&f| (f, 1.0)));
        out
    }

    fn normalised_block(buckets: &mut [u32], out: &mut Vec<Feature>) {
        if buckets.is_empty() {
            return;
        }
        radix_sort(buckets);
        let start = out.len();
        let mut i = 0;
        while i < buckets.len() {
            let mut j = i + 1;
            while j < buckets.len() && buckets[j] == buckets[i] {
                j += 1;
            }
            out.push((buckets[i], 1.0 + ((j - i) as f32).ln()));
            i = j;
        }
        let norm = out[start..].iter().map(|(_, v)| v * v).sum::<f32>().sqrt();
        if norm > 0.0 {
            for f in &mut out[start..] {
                f.1 /= norm;
            }
        }
    }

    /// The buckets of `text`'s features, unweighted.
    pub fn buckets(&self, text: &str) -> Buckets {
        self.buckets_folded(text, &fold(text))
    }

    /// `buckets` when the caller has folded the text already (ingest folds
    /// each post once, for matching and scoring).
    pub fn buckets_folded(&self, text: &str, folded: &str) -> Buckets {
        self.buckets_of(text, folded, &spanned(folded))
    }

    /// `buckets_folded` of a text read into `tokens` already ([`spanned`]).
    pub(super) fn buckets_of(&self, text: &str, folded: &str, tokens: &[Spanned]) -> Buckets {
        let mut words: Vec<u32> = Vec::with_capacity(tokens.len() * 3 + 4);
        let mut grams: Vec<u32> = Vec::with_capacity(tokens.len() * 12);
        let mut negate = 0u8;
        // The previous token's hash: bigrams hash the pair of hashes.
        let mut previous: Option<u64> = None;
        let mut stem = String::new();
        let (mut cyrillic, mut latin, mut elongated) = (false, false, false);
        let (mut lexicon, mut lexicon_pos, mut lexicon_neg) = (0f32, 0f32, 0f32);
        for Spanned { token, .. } in tokens {
            match token {
                Token::Break { .. } => {
                    negate = 0;
                    previous = None;
                }
                Token::Symbol(s) => {
                    words.push(self.bucket(kind::WORD, s.as_bytes()));
                    if let Some(v) = symbol_valence(s) {
                        words.push(self.bucket(kind::LEXICON, &[v.round() as i8 as u8]));
                        lexicon += v;
                        if v > 0.0 {
                            lexicon_pos += v;
                        } else {
                            lexicon_neg -= v;
                        }
                    }
                    previous = Some(self.bigram(&mut words, previous, s));
                }
                Token::Word { text, short } => {
                    let negated = negate > 0;
                    negate = negate.saturating_sub(1);
                    if is_negator(text) {
                        negate = NEGATION_REACH;
                    } else if TURNS.contains(&text.as_str()) {
                        negate = 0;
                    }
                    if has_cyrillic(text) {
                        cyrillic = true;
                    } else if text.bytes().any(|b| b.is_ascii_alphabetic()) {
                        latin = true;
                    }
                    let (word_kind, stem_kind) =
                        if negated { (kind::NEG_WORD, kind::NEG_STEM) } else { (kind::WORD, kind::STEM) };
                    words.push(self.bucket(word_kind, text.as_bytes()));
                    if let Some(short) = short {
                        elongated = true;
                        words.push(self.bucket(word_kind, short.as_bytes()));
                    }
                    stem.clear();
                    crate::matcher::push_stem(text, &mut stem);
                    words.push(self.bucket(stem_kind, stem.as_bytes()));
                    if let Some(v) = valence(text).or_else(|| short.as_deref().and_then(valence)) {
                        // The word's valence class: evidence shared by every
                        // word of that strength, also those training never saw.
                        let class = [v.round() as i8 as u8];
                        words.push(self.bucket(if negated { kind::NEG_LEXICON } else { kind::LEXICON }, &class));
                        let v = if negated { v * NEGATED_VALENCE } else { v };
                        lexicon += v;
                        if v > 0.0 {
                            lexicon_pos += v;
                        } else {
                            lexicon_neg -= v;
                        }
                    }
                    previous = Some(self.bigram(&mut words, previous, &stem));
                }
            }
        }
        let head = match folded.char_indices().nth(MAX_CHARS) {
            Some((end, _)) => &folded[..end],
            None => folded,
        };
        // Runs cut to two, so `оооочень` shares its n-grams with `оочень`.
        if elongated {
            self.char_grams(&mut grams, &squeeze(head, 2));
        } else {
            self.char_grams(&mut grams, head);
        }
        // Capitals are evidence like a word's (an elongation flag was tried:
        // in these sets it leans negative, and turned `оооочень доволен`)…
        if shouts(text) {
            words.push(self.bucket(kind::FLAG, b"shouts"));
        }
        // …the script and emptiness are intercepts.
        let mut flags = Vec::new();
        for (on, flag) in [(cyrillic, "script:cyrillic"), (latin, "script:latin"), (tokens.is_empty(), "empty")] {
            if on {
                flags.push(self.bucket(kind::FLAG, flag.as_bytes()));
            }
        }
        if lexicon_pos + lexicon_neg > 0.0 {
            for (name, v) in [("valence", lexicon), ("valence+", lexicon_pos), ("valence-", lexicon_neg)] {
                let class = format!("{name}:{}", v.round().clamp(-8.0, 8.0) as i32);
                flags.push(self.bucket(kind::FLAG, class.as_bytes()));
            }
        }
        Buckets { words, grams, flags }
    }

    /// Adds the bigram of the previous token (by its hash) and `current`;
    /// returns `current`'s hash for the next one.
    fn bigram(&self, out: &mut Vec<u32>, previous: Option<u64>, current: &str) -> u64 {
        let hash = xxh3_64_with_seed(current.as_bytes(), kind::BIGRAM);
        if let Some(previous) = previous {
            let mut pair = [0u8; 16];
            pair[..8].copy_from_slice(&previous.to_le_bytes());
            pair[8..].copy_from_slice(&hash.to_le_bytes());
            out.push(self.bucket(kind::BIGRAM, &pair));
        }
        hash
    }

    fn char_grams(&self, out: &mut Vec<u32>, text: &str) {
        let mut padded = String::with_capacity(text.len() + 2);
        padded.push('<');
        padded.push_str(text);
        padded.push('>');
        let bounds: Vec<usize> = padded.char_indices().map(|(i, _)| i).chain([padded.len()]).collect();
        let chars = bounds.len() - 1;
        for n in 3..=5 {
            if n > chars {
                break;
            }
            for start in 0..=chars - n {
                out.push(
                    self.bucket(kind::CHAR + ((n as u64) << 8), &padded.as_bytes()[bounds[start]..bounds[start + n]]),
                );
            }
        }
    }
}

/// Sorts `v` ascending, as `sort_unstable` does: a least-significant-digit
/// radix sort on bytes, which skips the bytes that are zero in every value
/// (a 20-bit bucket takes three passes). For the few hundred buckets of a
/// post it is about three times faster than comparing, and the sort was a
/// quarter of scoring a post.
fn radix_sort(v: &mut [u32]) {
    if v.len() < 64 {
        v.sort_unstable();
        return;
    }
    let max = v.iter().copied().max().unwrap_or(0);
    let passes = (u32::BITS - max.leading_zeros()).div_ceil(8);
    let mut scratch = vec![0u32; v.len()];
    let (mut from, mut to): (&mut [u32], &mut [u32]) = (v, &mut scratch);
    for pass in 0..passes {
        let shift = pass * 8;
        let digit = |x: u32| ((x >> shift) & 0xff) as usize;
        let mut starts = [0u32; 256];
        for &x in from.iter() {
            starts[digit(x)] += 1;
        }
        let mut sum = 0;
        for s in &mut starts {
            (*s, sum) = (sum, sum + *s);
        }
        for &x in from.iter() {
            let d = digit(x);
            to[starts[d] as usize] = x;
            starts[d] += 1;
        }
        std::mem::swap(&mut from, &mut to);
    }
    if passes % 2 == 1 {
        // The sorted values are in the scratch buffer (`from`), `to` is `v`.
        to.copy_from_slice(from);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn radix_sort_sorts_as_sort_unstable_does() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for len in [0, 1, 63, 64, 65, 300, 1000] {
            for bits in [1, 8, 9, 20, 24, 32] {
                let mut v: Vec<u32> = (0..len).map(|_| (next() as u32) >> (32 - bits)).collect();
                let mut expected = v.clone();
                expected.sort_unstable();
                radix_sort(&mut v);
                assert_eq!(v, expected, "{len} values of {bits} bits");
            }
        }
    }

    fn words_of(text: &str) -> Vec<Token> {
        tokens(&fold(text))
    }

    fn word(text: &str) -> Token {
        Token::Word { text: text.into(), short: None }
    }

    fn symbol(text: &str) -> Token {
        Token::Symbol(text.into())
    }

    #[test]
    fn urls_handles_hashtags_and_numbers_are_normalised() {
        assert_eq!(
            words_of("@ivan_1 see https://x.ru/a?b=1 #Дейнет 2024"),
            vec![symbol("<user>"), word("see"), symbol("<url>"), word("дейнет"), symbol("<num>")]
        );
    }

    #[test]
    fn emoticons_and_emoji_are_tokens() {
        assert_eq!(words_of("спасибо)))"), vec![word("спасибо"), symbol("<smile>")]);
        assert_eq!(words_of("опять (((("), vec![word("опять"), symbol("<frown>")]);
        // The colon also ends the clause.
        assert_eq!(words_of("ok :-( "), vec![word("ok"), symbol("<frown>"), Token::Break { strong: false }]);
        assert_eq!(words_of("lol :D"), vec![word("lol"), symbol("<smile>")]);
        assert_eq!(words_of("супер👍🏻❤️"), vec![word("супер"), symbol("👍"), symbol("❤")]);
        // A closing parenthesis after a remark is not a smile.
        assert_eq!(words_of("(see above)"), vec![word("see"), word("above")]);
    }

    #[test]
    fn elongation_is_cut_and_also_read_short() {
        assert_eq!(words_of("Оооочень"), vec![Token::Word { text: "оочень".into(), short: Some("очень".into()) }]);
        assert_eq!(words_of("good"), vec![word("good")]);
    }

    #[test]
    fn contractions_stay_one_word() {
        assert_eq!(words_of("I don’t like it"), vec![word("i"), word("don't"), word("like"), word("it")]);
        assert!(is_negator("don't"));
    }

    #[test]
    fn negation_changes_the_features_of_the_next_words() {
        let x = Extractor::new(20);
        let plain = x.extract("плохо");
        let negated = x.extract("не плохо");
        let bucket = |seed, s: &str| x.bucket(seed, s.as_bytes());
        let has = |fs: &[Feature], b| fs.iter().any(|&(i, _)| i == b);
        assert!(has(&plain, bucket(kind::WORD, "плохо")));
        assert!(!has(&negated, bucket(kind::WORD, "плохо")));
        assert!(has(&negated, bucket(kind::NEG_WORD, "плохо")));
        // Punctuation ends the negation's reach.
        assert!(has(&x.extract("not here. bad"), bucket(kind::WORD, "bad")));
    }

    #[test]
    fn blocks_have_unit_length() {
        let x = Extractor::new(20);
        let b = x.buckets("Очень хороший сервис, спасибо!!! 👍");
        let flags = b.flags.len();
        assert!(flags >= 2, "script and valence flags");
        let fs = x.weigh(b);
        let block = |range: std::ops::Range<usize>| fs[range].iter().map(|(_, v)| v * v).sum::<f32>();
        let total: f32 = fs.iter().map(|(_, v)| v * v).sum();
        let expected = 1.0 + CHAR_WEIGHT * CHAR_WEIGHT + flags as f32;
        assert!((total - expected).abs() < 1e-3, "{total} vs {expected}");
        assert!(block(fs.len() - flags..fs.len()) == flags as f32, "flags weigh 1 each");
        // An empty text still has its flag, so the model can score it.
        assert_eq!(Extractor::new(20).extract("  ").len(), 1);
    }
}
