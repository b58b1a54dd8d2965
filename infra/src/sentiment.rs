//! A small lexicon classifier behind the `SentimentAnalyzer` port, so every
//! ingested post gets an `auto` label today. The trained Russian/English model
//! (its own issue) replaces it without touching the pipeline.
//!
//! Words are folded like the matcher folds them and compared by prefix
//! against short stem lists; a negation (`не`, `not`, `no`, `never`, `ни`)
//! flips the next two words; emoji and emoticons count as words.

use smrm_domain::model::mention::{Sentiment, SentimentLabel, SentimentOrigin};
use smrm_domain::ports::SentimentAnalyzer;
use smrm_domain::text::fold;

const POSITIVE: &[&str] = &[
    "хорош",
    "отличн",
    "прекрасн",
    "супер",
    "класс",
    "нрав",
    "люблю",
    "любим",
    "довол",
    "спасибо",
    "благодар",
    "рекоменд",
    "удобн",
    "быстр",
    "лучш",
    "круто",
    "восторг",
    "рад",
    "good",
    "great",
    "excellent",
    "love",
    "awesome",
    "amazing",
    "thank",
    "recommend",
    "best",
    "happy",
    "fast",
    "perfect",
    "nice",
    "fantastic",
    "helpful",
    "glad",
];
const NEGATIVE: &[&str] = &[
    "плох",
    "ужас",
    "отврат",
    "кошмар",
    "хуж",
    "обман",
    "недовол",
    "жалоб",
    "медлен",
    "сломал",
    "не работает",
    "разочар",
    "верн",
    "бесит",
    "ненавиж",
    "проблем",
    "груб",
    "bad",
    "terrible",
    "awful",
    "worst",
    "hate",
    "scam",
    "broken",
    "slow",
    "refund",
    "disappoint",
    "angry",
    "problem",
    "rude",
    "useless",
    "horrible",
    "fail",
];
const NEGATIONS: &[&str] = &["не", "ни", "нет", "not", "no", "never", "dont", "don", "isn", "wasn", "doesn"];
const POSITIVE_EMOJI: &[&str] = &["😀", "😃", "😄", "😊", "😍", "🥰", "👍", "❤", "🔥", "🎉", ":)", ":-)", ":d"];
const NEGATIVE_EMOJI: &[&str] = &["😡", "😠", "🤬", "😞", "😢", "😭", "👎", "💩", ":(", ":-("];

pub struct LexiconSentiment;

fn polarity(word: &str) -> i32 {
    if POSITIVE.iter().any(|s| word.starts_with(s)) {
        1
    } else if NEGATIVE.iter().any(|s| word.starts_with(s)) {
        -1
    } else {
        0
    }
}

impl SentimentAnalyzer for LexiconSentiment {
    fn analyze(&self, text: &str, _language: Option<&str>) -> Sentiment {
        let folded = fold(text);
        let (mut pos, mut neg) = (0i32, 0i32);
        let mut negate_for = 0;
        for word in smrm_domain::text::words(&folded) {
            if NEGATIONS.contains(&word) {
                negate_for = 2;
                continue;
            }
            let mut p = polarity(word);
            if negate_for > 0 {
                p = -p;
                negate_for -= 1;
            }
            match p {
                1 => pos += 1,
                -1 => neg += 1,
                _ => {}
            }
        }
        pos += POSITIVE_EMOJI.iter().map(|e| folded.matches(e).count() as i32).sum::<i32>();
        neg += NEGATIVE_EMOJI.iter().map(|e| folded.matches(e).count() as i32).sum::<i32>();
        let total = pos + neg;
        let score = if total == 0 { 0.0 } else { f64::from(pos - neg) / f64::from(total.max(2)) };
        let label = if score > 0.2 {
            SentimentLabel::Positive
        } else if score < -0.2 {
            SentimentLabel::Negative
        } else {
            SentimentLabel::Neutral
        };
        Sentiment { label, score, origin: SentimentOrigin::Auto }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(text: &str) -> SentimentLabel {
        LexiconSentiment.analyze(text, None).label
    }

    #[test]
    fn polar_words_emoji_and_negation() {
        assert_eq!(label("Отличный сервис, спасибо!"), SentimentLabel::Positive);
        assert_eq!(label("Ужасная поддержка 😡"), SentimentLabel::Negative);
        assert_eq!(label("не плохо"), SentimentLabel::Positive);
        assert_eq!(label("not good at all"), SentimentLabel::Negative);
        assert_eq!(label("Купил тариф вчера"), SentimentLabel::Neutral);
        let s = LexiconSentiment.analyze("great great great", None);
        assert!((-1.0..=1.0).contains(&s.score) && s.score > 0.0);
    }
}
