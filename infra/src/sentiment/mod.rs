//! SMRM's built-in sentiment model for Russian and English.
//!
//! A multinomial logistic regression over hashed word, stem, bigram and
//! character n-gram features ([`features`]) scores a text; a second, small
//! one, the target head ([`target`]), scores the sentiment toward a target in
//! it (a brand where its query matched) from the text model's scores of the
//! whole text and of the target's clause, and the target's role. Both are
//! trained by `smrm sentiment train` from the licensed sets in
//! `../shared/sentiment/` and shipped as `infra/models/sentiment.bin`,
//! compiled into the binary: nothing is fetched at run time.

pub mod data;
pub mod features;
pub mod generate;
pub mod model;
pub mod target;
pub mod tenant;

use std::path::Path;
use std::sync::Arc;

use smrm_domain::model::mention::Sentiment;
use smrm_domain::model::sentiment::Correction;

use data::{Confusion, Labelled};
use features::{Extractor, Feature, Spanned};
use generate::TargetedRow;
use model::{Adaptation, BadWeights, Example, LinearModel, Logits, TrainConfig};
use target::Place;

/// The shipped weights (`smrm sentiment train` writes them).
pub static SHIPPED_WEIGHTS: &[u8] = include_bytes!("../../models/sentiment.bin");

/// Hash buckets of the shipped text model: 2^20 × 3 classes × 2 bytes = 6 MiB.
pub const SHIPPED_BITS: u32 = 20;

/// The sentence-level files the shipped model is trained on, in this order.
pub const TRAINING_FILES: &[&str] =
    &["goemotions_en_train.tsv", "cedr_ru_train.tsv", "rusentne_ru_train.tsv", "brighter_ru_train.tsv"];
/// The entity-level file the target head is trained on.
pub const ENTITY_FILE: &str = "rusentne_ru_entity_train.tsv";
/// The files it is judged on.
pub const VALIDATION_FILES: &[&str] = &["goemotions_en_val.tsv", "cedr_ru_val.tsv"];

/// The shipped weights: the text model, then the target head, each in
/// [`LinearModel::to_bytes`]'s format, one after the other.
#[derive(Debug, Clone, PartialEq)]
pub struct Weights {
    pub text: LinearModel,
    pub head: LinearModel,
}

impl Weights {
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.text.to_bytes();
        out.extend(self.head.to_bytes());
        out
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, BadWeights> {
        let (text, rest) = LinearModel::read(bytes)?;
        let head = LinearModel::from_bytes(rest)?;
        if head.bits() != target::HEAD_BITS {
            return Err(BadWeights("the target head has the wrong size"));
        }
        Ok(Self { text, head })
    }
}

/// The shared model, scoring every text the same for every tenant.
#[derive(Debug, Clone)]
pub struct BuiltinSentiment {
    text: Arc<LinearModel>,
    head: Arc<LinearModel>,
    extractor: Extractor,
}

/// A text read once for all its targets.
struct Read {
    tokens: Vec<Spanned>,
    features: Vec<Feature>,
    logits: Logits,
}

impl BuiltinSentiment {
    pub fn new(weights: Weights) -> Self {
        Self { extractor: weights.text.extractor(), text: Arc::new(weights.text), head: Arc::new(weights.head) }
    }

    /// The weights compiled into the binary.
    pub fn shipped() -> Self {
        Self::new(Weights::from_bytes(SHIPPED_WEIGHTS).expect("the shipped sentiment weights are valid"))
    }

    /// The text model.
    pub fn model(&self) -> &Arc<LinearModel> {
        &self.text
    }

    pub fn extractor(&self) -> Extractor {
        self.extractor
    }

    /// The shared model's sentiment of `text`.
    pub fn score(&self, text: &str) -> Sentiment {
        self.score_adapted(text, None)
    }

    /// The shared model's sentiment toward `target` (as written in `text`);
    /// the whole text's when `target` is not in it.
    pub fn score_toward(&self, text: &str, target: &str) -> Sentiment {
        let folded = smrm_domain::text::fold(text);
        let places = target::locate(&folded, &[target]);
        let (whole, toward) = self.score_all(text, &folded, &[places], None);
        toward.into_iter().next().unwrap_or(whole)
    }

    /// The sentiment of `text` with a tenant's adaptation on top.
    pub fn score_adapted(&self, text: &str, adaptation: Option<&Adaptation>) -> Sentiment {
        self.score_all(text, &smrm_domain::text::fold(text), &[], adaptation).0
    }

    /// The sentiment of the whole text (`folded` is it folded), and toward
    /// each target (its places in `folded`; a target with none is scored as
    /// the whole text), with a tenant's adaptation on top: the text is read
    /// once for all of them.
    pub fn score_all(
        &self,
        text: &str,
        folded: &str,
        targets: &[Vec<Place>],
        adaptation: Option<&Adaptation>,
    ) -> (Sentiment, Vec<Sentiment>) {
        let read = self.read(text, folded);
        let adapted = |features: &[Feature], z: Logits| match adaptation {
            Some(a) => a.logits(features, z),
            None => z,
        };
        let whole = model::sentiment_of(adapted(&read.features, read.logits));
        let toward = targets
            .iter()
            .map(|places| match self.toward(folded, &read, places) {
                Some((z, local)) => model::sentiment_of(adapted(local.as_deref().unwrap_or(&read.features), z)),
                None => whole,
            })
            .collect();
        (whole, toward)
    }

    fn read(&self, text: &str, folded: &str) -> Read {
        let tokens = features::spanned(folded);
        let features = self.extractor.weigh(self.extractor.buckets_of(text, folded, &tokens));
        let logits = self.text.logits(&features);
        Read { tokens, features, logits }
    }

    /// The head's logits toward the target at `places`, and the features of
    /// its local context (what an adaptation reads of it), if it has one.
    fn toward(&self, folded: &str, read: &Read, places: &[Place]) -> Option<(Logits, Option<Vec<Feature>>)> {
        let (head, local) = self.head_input(folded, read, places)?;
        Some((self.head.logits(&head), local))
    }

    /// The head's features for the target at `places`, and its local
    /// context's features, if it has one.
    fn head_input(&self, folded: &str, read: &Read, places: &[Place]) -> Option<(Vec<Feature>, Option<Vec<Feature>>)> {
        let cx = target::context(folded, &read.tokens, places)?;
        let local = (!cx.local.trim_matches([' ', '.']).is_empty()).then(|| self.extractor.extract(&cx.local));
        let z_local = local.as_ref().map(|f| self.text.logits(f));
        Some((target::head_features(read.logits, z_local, &cx), local))
    }

    /// Trains an adaptation to a tenant's corrections: a correction of a
    /// mention with matched words is learnt as the head saw it (the local
    /// context's features over the head's logits), one without as a text.
    pub fn adapt(&self, corrections: &[Correction]) -> Adaptation {
        let rows: Vec<model::CorrectionRow> = corrections
            .iter()
            .map(|c| {
                let folded = smrm_domain::text::fold(&c.text);
                let read = self.read(&c.text, &folded);
                let places = target::locate(&folded, &c.targets);
                let label = model::class_index(c.label);
                match self.toward(&folded, &read, &places) {
                    Some((z, Some(local))) => (local, label, z),
                    Some((z, None)) => (read.features, label, z),
                    None => (read.features, label, read.logits),
                }
            })
            .collect();
        model::adapt(self.text.bits(), &rows, TrainConfig::ADAPTATION)
    }
}

/// Reads the given files of `dir` into one list.
pub fn read_files(dir: &Path, files: &[&str]) -> std::io::Result<Vec<Labelled>> {
    let mut rows = Vec::new();
    for f in files {
        rows.extend(data::read_tsv(&dir.join(f))?);
    }
    Ok(rows)
}

/// What the shipped model is trained on: sentence-level rows, one list per
/// set, and entity-level rows for the target head.
#[derive(Debug, Clone, Default)]
pub struct Corpus {
    pub sets: Vec<Vec<Labelled>>,
    pub entities: Vec<TargetedRow>,
}

impl Corpus {
    /// Sentence-level rows, in all.
    pub fn texts(&self) -> usize {
        self.sets.iter().map(Vec::len).sum()
    }
}

/// The shipped corpus: [`TRAINING_FILES`] and [`ENTITY_FILE`] of `dir`.
pub fn read_corpus(dir: &Path) -> std::io::Result<Corpus> {
    let sets = TRAINING_FILES.iter().map(|f| data::read_tsv(&dir.join(f))).collect::<Result<_, _>>()?;
    Ok(Corpus { sets, entities: data::read_entity_tsv(&dir.join(ENTITY_FILE))? })
}

/// How the shipped weights are trained.
#[derive(Debug, Clone, Copy)]
pub struct Recipe {
    /// The text model's training.
    pub text: TrainConfig,
    /// Each set's rows are learnt `√(largest set / this set)` times, rounded,
    /// at most this often (1: every row once). Repeating the small sets
    /// lifts RuSentNE's sentences (five folds: 0.377 at 1, 0.395 at 2 or 4)
    /// and the mean leave-one-dataset-out macro-F1 a little (0.527, 0.531,
    /// 0.534 at 1, 2, 4) but lowers BRIGHTER left out (0.706, 0.697,
    /// 0.699), the one social-media set of the four, and teaches the text
    /// model news' neutrality: `Это не плохо` stops reading better than `Это
    /// плохо`, and `😡` stops being negative. The shipped recipe repeats nothing.
    pub max_repeat: usize,
    /// Within each set, each class's rows are learnt `(the set's largest
    /// class / this class)` times, rounded, at most this often (1: as the
    /// set has them). At 2 it is the best recipe measured on the data: mean
    /// leave-one-dataset-out macro-F1 0.527 → 0.557 (GoEmotions left out
    /// 0.455 → 0.565, CEDR 0.685 → 0.719, BRIGHTER 0.706 → 0.679), BRIGHTER
    /// in-domain 0.856 → 0.877, RuSentNE entities on the held-out fifth
    /// 0.331 → 0.364. It is not shipped because it turns Russian negation:
    /// `Это не плохо` reads −0.41 against `Это плохо` −0.65, and the unit
    /// test wants 0.3 between them. Its neutral rows (BRIGHTER's, the rarest
    /// class there) teach the model that an unknown Russian negated word
    /// says little; the VADER lexicon's negation prior only reaches English
    /// words. A Russian negation prior (a negated stem leaning against the
    /// plain stem's learnt weight) is the next thing to try with it.
    pub class_balance: usize,
    /// How many times each entity-level row is learnt by the head (see [`train`]).
    pub entity_weight: usize,
    /// Taken off the head's neutral bias once it is trained. Three entities
    /// in four are neutral in RuSentNE, and a head trained on them calls a
    /// target neutral unless the words around it are plain; RuSentNE's
    /// measure is F1 over positive and negative, which a lower bar for them
    /// raises (`smrm sentiment folds`: 0.330 → 0.350 at 0.6; 0.358 at 1.0
    /// with an earlier head), with no change on two-brand posts.
    pub neutral_shift: f32,
}

impl Recipe {
    /// The shipped recipe, chosen by leave-one-dataset-out macro-F1 (`smrm
    /// sentiment experiment`) and RuSentNE's entity-level F1 over five folds
    /// (`smrm sentiment folds`); README, "Sentiment".
    pub const SHIPPED: Self =
        Self { text: TrainConfig::SHARED, max_repeat: 1, class_balance: 1, entity_weight: 12, neutral_shift: 0.6 };
}

/// The rows of `sets` in one list, each set's repeated as
/// [`Recipe::max_repeat`] says and each of its classes as
/// [`Recipe::class_balance`] says.
pub fn pool(sets: &[&[Labelled]], recipe: &Recipe) -> Vec<Labelled> {
    let largest = sets.iter().map(|s| s.len()).max().unwrap_or(0);
    let mut out = Vec::new();
    for set in sets.iter().filter(|s| !s.is_empty()) {
        let times = ((largest as f64 / set.len() as f64).sqrt().round() as usize).clamp(1, recipe.max_repeat.max(1));
        let mut counts = [0usize; 3];
        for row in set.iter() {
            counts[row.label] += 1;
        }
        let most = counts.iter().copied().max().unwrap_or(0) as f64;
        let per_class = counts.map(|n| {
            if n == 0 { 0 } else { ((most / n as f64).round() as usize).clamp(1, recipe.class_balance.max(1)) }
        });
        for _ in 0..times {
            for row in set.iter() {
                for _ in 0..per_class[row.label] {
                    out.push(row.clone());
                }
            }
        }
    }
    out
}

/// Trains a text model from scratch on `rows`, the shipped recipe.
pub fn train_on(rows: &[Labelled], bits: u32, config: TrainConfig) -> LinearModel {
    let x = Extractor::new(bits);
    let examples: Vec<Example> =
        rows.iter().map(|r| Example { features: x.extract(&r.text), label: r.label, offset: [0.0; 3] }).collect();
    model::train_ensemble(&examples, bits, config)
}

/// The unit of generated examples per language and half of the data (see
/// [`generate::Mix::training`]): 8 targets per unit, 48,000 in all.
const GENERATED: usize = 1_500;

/// How the target head is trained: plain AdaGrad over its few features.
pub const HEAD_CONFIG: TrainConfig =
    TrainConfig { epochs: 6, learning_rate: 0.1, l2: 1e-5, balanced: true, average: true, ensemble: 1, seed: 42 };

fn is_russian(text: &str) -> bool {
    text.chars().any(|c| matches!(c, '\u{0400}'..='\u{04FF}'))
}

/// Trains both models: the text model on every sentence-level row; the head
/// on the entity rows and on rows generated from the sentence-level ones,
/// each read by a text model trained on the *other* half of the data (so
/// the head learns how far to trust the text model's scores on texts it
/// did not see, not on the ones it learnt by heart).
pub fn train(corpus: &Corpus, recipe: Recipe) -> Weights {
    let config = recipe.text;
    let sets: Vec<&[Labelled]> = corpus.sets.iter().map(Vec::as_slice).collect();
    let texts = pool(&sets, &recipe);
    let text = train_on(&texts, SHIPPED_BITS, config);
    let mut examples = Vec::new();
    for half in [false, true] {
        let mine: Vec<Labelled> =
            sets.iter().flat_map(|s| s.iter()).filter(|r| half_of(&r.text) == half).cloned().collect();
        let other: Vec<Vec<Labelled>> =
            sets.iter().map(|s| s.iter().filter(|r| half_of(&r.text) != half).cloned().collect()).collect();
        let other: Vec<&[Labelled]> = other.iter().map(Vec::as_slice).collect();
        let reader = BuiltinSentiment::new(Weights {
            text: train_on(&pool(&other, &recipe), SHIPPED_BITS, config),
            head: LinearModel::zeros(target::HEAD_BITS),
        });
        let (ru, en): (Vec<Labelled>, Vec<Labelled>) = mine.into_iter().partition(|r| is_russian(&r.text));
        let seed = config.seed + u64::from(half);
        let mut rows = generate::generate(&ru, true, generate::Mix::training(GENERATED), seed);
        rows.extend(generate::generate(&en, false, generate::Mix::training(GENERATED), seed));
        // The real entity-level rows count `entity_weight` times: fewer, and
        // the head learns that a news sentence's entity is neutral whatever
        // is said around it (F1 pos/neg on held-out entity sentences, `smrm
        // sentiment experiment`, with the first head: 0.16 at 1×, 0.25 at
        // 4×, 0.30 at 8×, 0.28 at 16×; with the target's own words, five
        // folds: 0.333 at 8×, 0.342 at 12×).
        for r in corpus.entities.iter().filter(|r| half_of(&r.text) == half) {
            rows.extend(std::iter::repeat_n(r.clone(), recipe.entity_weight));
        }
        examples.extend(rows.iter().filter_map(|r| reader.head_example(r)));
    }
    let mut head = model::train_scaled(&examples, target::HEAD_BITS, HEAD_CONFIG, None);
    head.shift(1, -recipe.neutral_shift);
    Weights { text, head }
}

/// Which half of the data a text is in, for [`train`]'s cross-fitting.
fn half_of(text: &str) -> bool {
    xxhash_rust::xxh3::xxh3_64(text.trim().as_bytes()) & 1 == 1
}

impl BuiltinSentiment {
    /// The head's training example for a targeted row, if its target is in it.
    fn head_example(&self, row: &TargetedRow) -> Option<Example> {
        let folded = smrm_domain::text::fold(&row.text);
        let read = self.read(&row.text, &folded);
        let places = target::locate(&folded, &[&row.target]);
        let (features, _) = self.head_input(&folded, &read, &places)?;
        Some(Example { features, label: row.label, offset: [0.0; 3] })
    }
}

/// Scores `rows` with `predict`.
pub fn evaluate(rows: &[Labelled], mut predict: impl FnMut(&str) -> Sentiment) -> Confusion {
    let mut c = Confusion::default();
    for r in rows {
        c.add(r.label, model::class_index(predict(&r.text).label));
    }
    c
}

/// Scores targeted `rows` with the model's sentiment toward each target.
pub fn evaluate_targets(rows: &[TargetedRow], model: &BuiltinSentiment) -> Confusion {
    let mut c = Confusion::default();
    for r in rows {
        c.add(r.label, model::class_index(model.score_toward(&r.text, &r.target).label));
    }
    c
}

#[cfg(test)]
mod tests {
    use smrm_domain::model::mention::SentimentLabel::{self, Negative, Neutral, Positive};

    use super::*;

    fn shipped() -> &'static BuiltinSentiment {
        static MODEL: std::sync::LazyLock<BuiltinSentiment> = std::sync::LazyLock::new(BuiltinSentiment::shipped);
        &MODEL
    }

    fn label(text: &str) -> SentimentLabel {
        shipped().score(text).label
    }

    fn score(text: &str) -> f64 {
        shipped().score(text).score
    }

    #[test]
    fn class_balance_repeats_a_sets_rarer_classes() {
        let row = |label, text: &str| Labelled { label, text: text.to_owned() };
        // 4 negative, 2 neutral, 1 positive: repeated 1×, 2× and 4×, capped at 3.
        let mut set: Vec<Labelled> = (0..4).map(|i| row(0, &format!("n{i}"))).collect();
        set.extend([row(1, "u0"), row(1, "u1"), row(2, "p0")]);
        let count = |rows: &[Labelled], label| rows.iter().filter(|r| r.label == label).count();
        let plain = pool(&[&set], &Recipe::SHIPPED);
        assert_eq!(plain.len(), set.len());
        let balanced = pool(&[&set], &Recipe { class_balance: 3, ..Recipe::SHIPPED });
        assert_eq!([count(&balanced, 0), count(&balanced, 1), count(&balanced, 2)], [4, 4, 3]);
    }

    #[test]
    fn negation_turns_the_score() {
        assert_eq!(label("Это плохо"), Negative);
        assert!(
            score("Это не плохо") > score("Это плохо") + 0.3,
            "{} vs {}",
            score("Это не плохо"),
            score("Это плохо")
        );
        assert_eq!(label("It is bad"), Negative);
        assert!(score("It is not bad") > score("It is bad") + 0.3);
        assert_eq!(label("This is good"), Positive);
        assert!(score("This is not good") < score("This is good") - 0.3);
    }

    #[test]
    fn emoji_and_emoticons_carry_sentiment() {
        assert_eq!(label("Новый тариф 😍😍"), Positive);
        assert_eq!(label("Новый тариф 😡"), Negative);
        assert!(score("Новый тариф)))") > score("Новый тариф((("));
        assert!(score("new plan :)") > score("new plan :("));
    }

    #[test]
    fn inflected_forms_share_their_sentiment() {
        for text in ["ужасный сервис", "ужасного сервиса", "ужасным сервисом", "ужасному сервису"]
        {
            assert_eq!(label(text), Negative, "{text}");
        }
        for text in ["отличный сервис", "отличного сервиса", "отличным сервисом"]
        {
            assert_eq!(label(text), Positive, "{text}");
        }
        // An elongated word is read as its plain form. (`оооочень` itself
        // leans negative: in CEDR it mostly intensifies fear and sadness.)
        assert_eq!(label("Спасибооооо, очень доволен"), Positive);
        assert_eq!(label("Спасибооооо!"), label("Спасибо!"));
        assert_eq!(label("sooooo happy"), Positive);
    }

    #[test]
    fn plain_news_is_neutral() {
        assert_eq!(label("Компания опубликовала отчёт за третий квартал."), Neutral);
        assert_eq!(label("The company will publish its quarterly report on Monday."), Neutral);
    }

    #[test]
    fn the_score_is_in_range_and_agrees_with_the_label() {
        let texts = ["", "   ", "😍", "!!!!!!", "http://x.ru @a #b", "не не не", &"очень ".repeat(500), "ЖУТЬ"];
        for t in texts {
            let s = shipped().score(t);
            assert!((-1.0..=1.0).contains(&s.score), "{t:?}: {}", s.score);
            match s.label {
                Positive => assert!(s.score > 0.0, "{t:?}"),
                Negative => assert!(s.score < 0.0, "{t:?}"),
                Neutral => {}
            }
        }
    }

    /// Two brands, two feelings: Russian and English, either order,
    /// switching, comparison, contrast, negation, a verdict far from the
    /// name. Written for this test (none is made by `generate`, whose brand
    /// names these are not), before the model was scored on them.
    pub(crate) const TWO_BRANDS: &[(&str, &str, SentimentLabel, &str, SentimentLabel)] = &[
        ("Мегасвязь подвела, перешёл на Дейнет — доволен", "Мегасвязь", Negative, "Дейнет", Positive),
        ("Дейнет радует скоростью, а Мегасвязь опять без связи весь день", "Дейнет", Positive, "Мегасвязь", Negative),
        ("Мегасвязь гораздо лучше, чем Дейнет", "Мегасвязь", Positive, "Дейнет", Negative),
        ("Дейнет хуже Мегасвязи во всём", "Дейнет", Negative, "Мегасвязи", Positive),
        ("В отличие от Дейнета, Мегасвязь работает без перебоев", "Дейнета", Negative, "Мегасвязь", Positive),
        ("Мегасвязь не оправдала ожиданий, Дейнет же приятно удивил", "Мегасвязь", Negative, "Дейнет", Positive),
        ("Ушёл из Дейнета в Мегасвязь и ни о чём не жалею", "Дейнета", Negative, "Мегасвязь", Positive),
        ("Megalink let me down again, switched to Daynet and I love it", "Megalink", Negative, "Daynet", Positive),
        ("Daynet support is amazing, while Megalink never answers", "Daynet", Positive, "Megalink", Negative),
        ("Megalink is so much better than Daynet", "Megalink", Positive, "Daynet", Negative),
        ("Daynet is worse than Megalink in every way", "Daynet", Negative, "Megalink", Positive),
        ("Unlike Daynet, Megalink has never failed me", "Daynet", Negative, "Megalink", Positive),
        ("Left Daynet for Megalink last month, no regrets", "Daynet", Negative, "Megalink", Positive),
        ("I don't like Megalink at all, Daynet is fine", "Megalink", Negative, "Daynet", Positive),
        ("В отличие от Дейнета, Мегасвязь ни разу не подвела", "Дейнета", Negative, "Мегасвязь", Positive),
        ("Не понимаю, кто хвалит Дейнет: Мегасвязь намного надёжнее", "Дейнет", Negative, "Мегасвязь", Positive),
        (
            "Got my Daynet router yesterday. Megalink's was a joke, this one just works",
            "Megalink",
            Negative,
            "Daynet",
            Positive,
        ),
        ("Мегасвязь? Больше никогда. Дейнет — совсем другое дело!", "Мегасвязь", Negative, "Дейнет", Positive),
    ];

    /// The bar: at least 3 brand mentions in 4 right. (Wrong here
    /// when this was written: the double negation `ни разу не подвела`,
    /// `не оправдала ожиданий`, `работает без перебоев` after a contrast,
    /// and `I don't like X at all, Y is fine`.)
    #[test]
    fn each_brand_of_a_post_gets_its_own_sentiment() {
        let mut wrong = Vec::new();
        let mut all = 0;
        for (text, a, la, b, lb) in TWO_BRANDS {
            for (target, want) in [(a, la), (b, lb)] {
                all += 1;
                let got = shipped().score_toward(text, target).label;
                if got != *want {
                    wrong.push(format!("{text:?} toward {target}: {got:?}, not {want:?}"));
                }
            }
        }
        assert!(wrong.len() * 4 <= all, "{} of {all} wrong:\n{}", wrong.len(), wrong.join("\n"));
        eprintln!("{} of {all} brand mentions right; wrong:\n{}", all - wrong.len(), wrong.join("\n"));
    }

    #[test]
    fn a_target_not_in_the_text_is_the_whole_texts_sentiment() {
        let text = "Мегасвязь подвела, перешёл на Дейнет — доволен";
        assert_eq!(shipped().score_toward(text, "Телеком"), shipped().score(text));
    }

    #[test]
    fn a_targeted_correction_teaches_the_tenants_model() {
        // A tenant whose people say that `вжух` said of a brand is praise,
        // in posts that blame another brand.
        let corrections: Vec<Correction> = (0..12)
            .flat_map(|i| {
                let text = format!("Дейнет опять тормозит {i} день, зато Мегасвязь вжух");
                [("Мегасвязь", Positive), ("Дейнет", Negative)].map(|(brand, label)| Correction {
                    label,
                    text: text.clone(),
                    language: Some("ru".into()),
                    targets: vec![brand.into()],
                })
            })
            .collect();
        let a = shipped().adapt(&corrections);
        let text = "Сегодня Мегасвязь вжух";
        let folded = smrm_domain::text::fold(text);
        let places = vec![smrm_domain::text::places(&folded, &["Мегасвязь"])];
        let before = shipped().score_all(text, &folded, &places, None).1[0];
        let after = shipped().score_all(text, &folded, &places, Some(&a)).1[0];
        assert!(after.score > before.score + 0.2, "{before:?} → {after:?}");
        assert_eq!(after.label, Positive, "{before:?} → {after:?}");
    }

    #[test]
    fn the_weights_round_trip_and_a_truncated_file_is_refused() {
        let w = Weights::from_bytes(SHIPPED_WEIGHTS).unwrap();
        assert_eq!(w.to_bytes(), SHIPPED_WEIGHTS);
        assert!(Weights::from_bytes(&SHIPPED_WEIGHTS[..SHIPPED_WEIGHTS.len() - 1]).is_err());
        assert!(Weights::from_bytes(&w.text.to_bytes()).is_err(), "a text model alone is not the weights");
    }

    #[test]
    fn an_adaptation_learns_a_tenants_words() {
        let corrections: Vec<Correction> = (0..12)
            .map(|i| Correction {
                label: if i % 2 == 0 { Positive } else { Negative },
                text: format!("{} номер {i}", if i % 2 == 0 { "вжух" } else { "бдыщ" }),
                language: Some("ru".into()),
                targets: vec![],
            })
            .collect();
        let a = shipped().adapt(&corrections);
        assert_eq!(shipped().score_adapted("это вжух", Some(&a)).label, Positive);
        assert_eq!(shipped().score_adapted("это бдыщ", Some(&a)).label, Negative);
        // Texts without those words keep the shared model's view.
        assert_eq!(shipped().score_adapted("ужасный сервис", Some(&a)).label, Negative);
    }
}
