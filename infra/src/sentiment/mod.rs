//! SMRM's built-in sentiment model for Russian and English.
//!
//! A multinomial logistic regression over hashed word, stem, bigram and
//! character n-gram features ([`features`]), trained by `smrm sentiment train`
//! from the licensed sets in `../shared/sentiment/` and shipped as
//! `infra/models/sentiment.bin`, compiled into the binary: nothing is fetched
//! at run time.

pub mod data;
pub mod features;
pub mod model;
pub mod tenant;

use std::path::Path;
use std::sync::Arc;

use smrm_domain::model::mention::Sentiment;
use smrm_domain::model::sentiment::Correction;

use data::{Confusion, Labelled};
use features::Extractor;
use model::{Adaptation, Example, LinearModel, TrainConfig};

/// The shipped weights (`smrm sentiment train` writes them).
pub static SHIPPED_WEIGHTS: &[u8] = include_bytes!("../../models/sentiment.bin");

/// Hash buckets of the shipped model: 2^20 × 3 classes × 2 bytes = 6 MiB.
pub const SHIPPED_BITS: u32 = 20;

/// The files the shipped model is trained on, in this order.
pub const TRAINING_FILES: &[&str] = &["goemotions_en_train.tsv", "cedr_ru_train.tsv"];
/// The files it is judged on.
pub const VALIDATION_FILES: &[&str] = &["goemotions_en_val.tsv", "cedr_ru_val.tsv"];

/// The shared model, scoring every text the same for every tenant.
#[derive(Debug, Clone)]
pub struct BuiltinSentiment {
    model: Arc<LinearModel>,
    extractor: Extractor,
}

impl BuiltinSentiment {
    pub fn new(model: LinearModel) -> Self {
        Self { extractor: model.extractor(), model: Arc::new(model) }
    }

    /// The weights compiled into the binary.
    pub fn shipped() -> Self {
        Self::new(LinearModel::from_bytes(SHIPPED_WEIGHTS).expect("the shipped sentiment weights are valid"))
    }

    pub fn model(&self) -> &Arc<LinearModel> {
        &self.model
    }

    pub fn extractor(&self) -> Extractor {
        self.extractor
    }

    /// The shared model's sentiment of `text`.
    pub fn score(&self, text: &str) -> Sentiment {
        self.score_adapted(text, None)
    }

    /// The sentiment of `text` with a tenant's adaptation on top.
    pub fn score_adapted(&self, text: &str, adaptation: Option<&Adaptation>) -> Sentiment {
        self.score_folded(text, &smrm_domain::text::fold(text), adaptation)
    }

    /// `score_adapted` of a text folded already.
    pub fn score_folded(&self, text: &str, folded: &str, adaptation: Option<&Adaptation>) -> Sentiment {
        let features = self.extractor.weigh(self.extractor.buckets_folded(text, folded));
        let shared = self.model.logits(&features);
        model::sentiment_of(match adaptation {
            Some(a) => a.logits(&features, shared),
            None => shared,
        })
    }

    /// Trains an adaptation to a tenant's corrections.
    pub fn adapt(&self, corrections: &[Correction]) -> Adaptation {
        let rows: Vec<_> =
            corrections.iter().map(|c| (self.extractor.extract(&c.text), model::class_index(c.label))).collect();
        model::adapt(&self.model, &rows, TrainConfig::ADAPTATION)
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

/// Trains a model from scratch on `rows`, the shipped recipe.
pub fn train_on(rows: &[Labelled], bits: u32, config: TrainConfig) -> LinearModel {
    let x = Extractor::new(bits);
    let examples: Vec<Example> =
        rows.iter().map(|r| Example { features: x.extract(&r.text), label: r.label, offset: [0.0; 3] }).collect();
    model::train_ensemble(&examples, bits, config)
}

/// Scores `rows` with `predict`.
pub fn evaluate(rows: &[Labelled], mut predict: impl FnMut(&str) -> Sentiment) -> Confusion {
    let mut c = Confusion::default();
    for r in rows {
        c.add(r.label, model::class_index(predict(&r.text).label));
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

    #[test]
    fn an_adaptation_learns_a_tenants_words() {
        let corrections: Vec<Correction> = (0..12)
            .map(|i| Correction {
                label: if i % 2 == 0 { Positive } else { Negative },
                text: format!("{} номер {i}", if i % 2 == 0 { "вжух" } else { "бдыщ" }),
                language: Some("ru".into()),
            })
            .collect();
        let a = shipped().adapt(&corrections);
        assert_eq!(shipped().score_adapted("опять вжух", Some(&a)).label, Positive);
        assert_eq!(shipped().score_adapted("опять бдыщ", Some(&a)).label, Negative);
        // Texts without those words keep the shared model's view.
        assert_eq!(shipped().score_adapted("ужасный сервис", Some(&a)).label, Negative);
    }
}
