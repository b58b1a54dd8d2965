//! The linear model: multinomial logistic regression over hashed features,
//! its training (AdaGrad, class-balanced, fixed seed, one thread, so the same
//! data gives the same bytes), its file format, and a tenant's adaptation.

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rustc_hash::FxHashMap;
use smrm_domain::model::mention::{Sentiment, SentimentLabel, SentimentOrigin};

use super::features::{Extractor, Feature};

/// The classes, in the order of the model's outputs.
pub const CLASSES: [SentimentLabel; 3] = [SentimentLabel::Negative, SentimentLabel::Neutral, SentimentLabel::Positive];

pub fn class_index(label: SentimentLabel) -> usize {
    match label {
        SentimentLabel::Negative => 0,
        SentimentLabel::Neutral => 1,
        SentimentLabel::Positive => 2,
    }
}

pub type Logits = [f32; 3];

fn add(a: Logits, b: Logits) -> Logits {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}

pub fn softmax(z: Logits) -> [f32; 3] {
    let m = z[0].max(z[1]).max(z[2]);
    let e = z.map(|x| (x - m).exp());
    let s = e[0] + e[1] + e[2];
    e.map(|x| x / s)
}

/// The label is the likeliest class; the score, in [-1, 1], is
/// P(positive) − P(negative).
pub fn sentiment_of(z: Logits) -> Sentiment {
    let p = softmax(z);
    let best = (0..3).fold(0, |b, c| if p[c] > p[b] { c } else { b });
    let score = f64::from(p[2] - p[0]).clamp(-1.0, 1.0);
    Sentiment { label: CLASSES[best], score: (score * 1e4).round() / 1e4, origin: SentimentOrigin::Auto }
}

/// Weights per bucket and class, and a bias per class.
#[derive(Clone, PartialEq)]
pub struct LinearModel {
    bits: u32,
    weights: Vec<f32>,
    bias: [f32; 3],
}

impl std::fmt::Debug for LinearModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinearModel").field("bits", &self.bits).field("bias", &self.bias).finish_non_exhaustive()
    }
}

const MAGIC: &[u8; 8] = b"SMRMSENT";
const FORMAT: u32 = 1;

/// A weights file that cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("not an SMRM sentiment weights file: {0}")]
pub struct BadWeights(pub &'static str);

impl LinearModel {
    pub fn zeros(bits: u32) -> Self {
        Self { bits, weights: vec![0.0; 3 << bits], bias: [0.0; 3] }
    }

    /// Adds another model's weights (an ensemble of linear models is the
    /// linear model of their mean).
    pub fn add(&mut self, other: &LinearModel) {
        for (a, b) in self.weights.iter_mut().zip(&other.weights) {
            *a += b;
        }
        for c in 0..3 {
            self.bias[c] += other.bias[c];
        }
    }

    pub fn scale(&mut self, k: f32) {
        for a in &mut self.weights {
            *a *= k;
        }
        for b in &mut self.bias {
            *b *= k;
        }
    }

    /// Adds `by` to the bias of class `class` (an index of [`CLASSES`]).
    pub fn shift(&mut self, class: usize, by: f32) {
        self.bias[class] += by;
    }

    pub fn bits(&self) -> u32 {
        self.bits
    }

    pub fn extractor(&self) -> Extractor {
        Extractor::new(self.bits)
    }

    pub fn logits(&self, features: &[Feature]) -> Logits {
        let mut z = self.bias;
        for &(i, v) in features {
            let w = &self.weights[i as usize * 3..i as usize * 3 + 3];
            z[0] += w[0] * v;
            z[1] += w[1] * v;
            z[2] += w[2] * v;
        }
        z
    }

    /// `SMRMSENT`, format, bits (little-endian u32), the biases (f32),
    /// then the weights as half-precision floats: 2^20 buckets fit in 6 MiB,
    /// and the rounding moves no score of the validation files by more than
    /// a thousandth.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(28 + self.weights.len() * 2);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT.to_le_bytes());
        out.extend_from_slice(&self.bits.to_le_bytes());
        for x in self.bias {
            out.extend_from_slice(&x.to_le_bytes());
        }
        for &x in &self.weights {
            out.extend_from_slice(&half::f16::from_f32(x).to_le_bytes());
        }
        out
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, BadWeights> {
        match Self::read(bytes)? {
            (model, []) => Ok(model),
            _ => Err(BadWeights("trailing bytes")),
        }
    }

    /// Reads one model from the start of `bytes`; returns it and what follows.
    pub fn read(bytes: &[u8]) -> Result<(Self, &[u8]), BadWeights> {
        let rest = bytes.strip_prefix(MAGIC).ok_or(BadWeights("no magic"))?;
        let u32_at = |at: usize| rest.get(at..at + 4).map(|s| u32::from_le_bytes(s.try_into().expect("4 bytes")));
        if u32_at(0) != Some(FORMAT) {
            return Err(BadWeights("unknown format version"));
        }
        let bits = u32_at(4).filter(|b| (8..=24).contains(b)).ok_or(BadWeights("bad size"))?;
        let body = &rest[8..];
        let len = 12 + (3usize << bits) * 2;
        if body.len() < len {
            return Err(BadWeights("truncated"));
        }
        let (body, after) = body.split_at(len);
        let (bias, weights) = body.split_at(12);
        let bias: [f32; 3] =
            std::array::from_fn(|c| f32::from_le_bytes(bias[c * 4..c * 4 + 4].try_into().expect("4 bytes")));
        let weights = weights.chunks_exact(2).map(|h| half::f16::from_le_bytes([h[0], h[1]]).to_f32()).collect();
        Ok((Self { bits, weights, bias }, after))
    }
}

/// A tenant's adjustments on top of the shared model: only the buckets its
/// corrections touched, so it stays small.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Adaptation {
    weights: FxHashMap<u32, [f32; 3]>,
    bias: [f32; 3],
}

const ADAPTATION_MAGIC: &[u8; 8] = b"SMRMADPT";

impl Adaptation {
    pub fn logits(&self, features: &[Feature], z: Logits) -> Logits {
        let mut z = add(z, self.bias);
        for (i, v) in features {
            if let Some(w) = self.weights.get(i) {
                for (zc, wc) in z.iter_mut().zip(w) {
                    *zc += wc * v;
                }
            }
        }
        z
    }

    /// The buckets it adjusts.
    pub fn len(&self) -> usize {
        self.weights.len()
    }

    pub fn is_empty(&self) -> bool {
        self.weights.is_empty()
    }

    /// `SMRMADPT`, the biases, the count, then (bucket, 3 weights) sorted by
    /// bucket: little-endian, so the same adaptation gives the same bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut rows: Vec<_> = self.weights.iter().collect();
        rows.sort_unstable_by_key(|(i, _)| **i);
        let mut out = Vec::with_capacity(24 + rows.len() * 16);
        out.extend_from_slice(ADAPTATION_MAGIC);
        for b in self.bias {
            out.extend_from_slice(&b.to_le_bytes());
        }
        out.extend_from_slice(&(rows.len() as u32).to_le_bytes());
        for (i, w) in rows {
            out.extend_from_slice(&i.to_le_bytes());
            for x in w {
                out.extend_from_slice(&x.to_le_bytes());
            }
        }
        out
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, BadWeights> {
        let rest = bytes.strip_prefix(ADAPTATION_MAGIC).ok_or(BadWeights("no adaptation magic"))?;
        let mut words = rest.chunks_exact(4).map(|c| <[u8; 4]>::try_from(c).expect("4 bytes"));
        if rest.len() % 4 != 0 || rest.len() < 16 {
            return Err(BadWeights("truncated adaptation"));
        }
        let mut f = || f32::from_le_bytes(words.next().expect("length checked"));
        let bias = [f(), f(), f()];
        let n = u32::from_le_bytes(words.next().expect("length checked")) as usize;
        if rest.len() != 16 + n * 16 {
            return Err(BadWeights("truncated adaptation"));
        }
        let mut weights = FxHashMap::with_capacity_and_hasher(n, Default::default());
        for _ in 0..n {
            let i = u32::from_le_bytes(words.next().expect("length checked"));
            let w = [0; 3].map(|_| f32::from_le_bytes(words.next().expect("length checked")));
            weights.insert(i, w);
        }
        Ok(Self { weights, bias })
    }
}

/// A labelled text's features; `offset` holds logits the model adds to
/// (the shared model's, when training an adaptation).
#[derive(Debug, Clone)]
pub struct Example {
    pub features: Vec<Feature>,
    pub label: usize,
    pub offset: Logits,
}

#[derive(Debug, Clone, Copy)]
pub struct TrainConfig {
    pub epochs: u32,
    pub learning_rate: f32,
    /// L2 penalty, applied to the weights an example touches.
    pub l2: f32,
    /// Weigh classes inversely to their frequency (macro-F1 counts each class alike).
    pub balanced: bool,
    /// Return the average of the weights over all steps (less noise than the last).
    pub average: bool,
    /// Models trained with different shuffles and averaged (see [`train_ensemble`]).
    pub ensemble: u32,
    pub seed: u64,
}

impl TrainConfig {
    /// What the shipped weights are trained with, tuned on the validation files.
    pub const SHARED: Self =
        Self { epochs: 5, learning_rate: 0.15, l2: 3e-5, balanced: true, average: true, ensemble: 3, seed: 42 };
    /// A tenant's adaptation: the same recipe over its corrections, on top
    /// of the shared model's logits.
    pub const ADAPTATION: Self = Self::SHARED;
}

/// A Fisher–Yates shuffle from a ChaCha8 stream: the same seed gives the
/// same order on every machine and with every version of the crate.
pub fn shuffle<T>(items: &mut [T], seed: u64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for i in (1..items.len()).rev() {
        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
}

/// Trains weights (over the examples' offsets), each a learnt parameter times
/// a fixed `scale` per bucket and class when one is given (Naive Bayes
/// log-count ratios, for example): the same linear model in the end, found
/// under a prior that favours telling features. Deterministic: one thread, a
/// ChaCha8 shuffle from `config.seed`.
pub fn train_scaled(examples: &[Example], bits: u32, config: TrainConfig, scale: Option<&[f32]>) -> LinearModel {
    train_in(examples, bits, 1 << bits, config, scale)
}

/// `train_scaled` over features numbered below `buckets` (an adaptation
/// numbers only the buckets its corrections touch).
fn train_in(
    examples: &[Example],
    bits: u32,
    buckets: usize,
    config: TrainConfig,
    scale: Option<&[f32]>,
) -> LinearModel {
    let mut model = LinearModel { bits, weights: vec![0.0; 3 * buckets], bias: [0.0; 3] };
    let mut params = vec![0f32; model.weights.len()];
    let mut squares = vec![0f32; model.weights.len()];
    let mut bias_squares = [0f32; 3];
    let mut counts = [0usize; 3];
    for e in examples {
        counts[e.label] += 1;
    }
    let class_weight =
        counts.map(|n| if !config.balanced || n == 0 { 1.0 } else { examples.len() as f32 / (3.0 * n as f32) });
    let mut order: Vec<usize> = (0..examples.len()).collect();
    // Averaging without touching every weight each step: `sums` gathers
    // step × change, and the average is w − sums / steps at the end.
    let mut sums = if config.average { vec![0f32; model.weights.len()] } else { Vec::new() };
    let mut bias_sums = [0f32; 3];
    let mut step = 1f32;
    const EPS: f32 = 1e-8;
    for epoch in 0..config.epochs {
        shuffle(&mut order, config.seed.wrapping_add(u64::from(epoch)));
        for &k in &order {
            let e = &examples[k];
            let p = softmax(add(model.logits(&e.features), e.offset));
            let g: [f32; 3] =
                std::array::from_fn(|c| class_weight[e.label] * (p[c] - if c == e.label { 1.0 } else { 0.0 }));
            for c in 0..3 {
                bias_squares[c] += g[c] * g[c];
                let delta = config.learning_rate * g[c] / (bias_squares[c].sqrt() + EPS);
                model.bias[c] -= delta;
                bias_sums[c] -= step * delta;
            }
            for &(i, v) in &e.features {
                let at = i as usize * 3;
                for c in 0..3 {
                    let k = scale.map_or(1.0, |s| s[at + c]);
                    let u = &mut params[at + c];
                    let grad = g[c] * v * k + config.l2 * *u;
                    let s = &mut squares[at + c];
                    *s += grad * grad;
                    let delta = config.learning_rate * grad / (s.sqrt() + EPS);
                    *u -= delta;
                    model.weights[at + c] = *u * k;
                    if config.average {
                        sums[at + c] -= step * delta * k;
                    }
                }
            }
            step += 1.0;
        }
    }
    if config.average {
        for (w, s) in model.weights.iter_mut().zip(&sums) {
            *w -= s / step;
        }
        for (b, s) in model.bias.iter_mut().zip(bias_sums) {
            *b -= s / step;
        }
    }
    model
}

/// Naive Bayes log-count ratios per bucket and class (class against the
/// rest, smoothed by `alpha`), as magnitudes: used as [`train_scaled`]'s
/// scale, they let a telling feature move fast and a uniform one slowly
/// (NBSVM, Wang & Manning 2012). Worth 1–2 points of macro-F1 on CEDR.
pub fn nb_ratios(examples: &[Example], buckets: usize, alpha: f32) -> Vec<f32> {
    let n = buckets;
    let mut per_class = vec![[0f32; 3]; n];
    for e in examples {
        for &(i, v) in &e.features {
            per_class[i as usize][e.label] += v;
        }
    }
    let totals: [f32; 3] = std::array::from_fn(|c| per_class.iter().map(|r| r[c] + alpha).sum());
    let all: f32 = totals.iter().sum();
    let mut out = vec![0f32; 3 * n];
    for (i, r) in per_class.iter().enumerate() {
        let sum: f32 = r.iter().sum();
        for c in 0..3 {
            let p = (r[c] + alpha) / totals[c];
            let q = (sum - r[c] + 2.0 * alpha) / (all - totals[c]);
            out[i * 3 + c] = (p / q).ln().abs();
        }
    }
    out
}

/// Smoothing of the shipped model's ratios.
pub const NB_ALPHA: f32 = 0.1;

/// The shipped recipe: Naive Bayes-scaled training, `config.ensemble` times
/// with different shuffles, averaged.
pub fn train_ensemble(examples: &[Example], bits: u32, config: TrainConfig) -> LinearModel {
    ensemble_in(examples, bits, 1 << bits, config)
}

fn ensemble_in(examples: &[Example], bits: u32, buckets: usize, config: TrainConfig) -> LinearModel {
    let scale = nb_ratios(examples, buckets, NB_ALPHA);
    let mut sum = LinearModel { bits, weights: vec![0.0; 3 * buckets], bias: [0.0; 3] };
    for k in 0..u64::from(config.ensemble.max(1)) {
        let seed = config.seed.wrapping_add(1000 * k);
        sum.add(&train_in(examples, bits, buckets, TrainConfig { seed, ..config }, Some(&scale)));
    }
    sum.scale(1.0 / config.ensemble.max(1) as f32);
    sum
}

/// A tenant's correction as the adaptation trains on it: its features, its
/// label, and the shared model's logits for it (the whole text's, or the
/// target head's for a targeted mention).
pub type CorrectionRow = (Vec<Feature>, usize, Logits);

/// Trains a tenant's adaptation on its corrections, over the shared model's
/// logits for each: only the buckets the corrections touch get weights.
pub fn adapt(bits: u32, corrections: &[CorrectionRow], config: TrainConfig) -> Adaptation {
    // Only the touched buckets are trained: numbered densely here, so the
    // training's arrays are as small as the corrections.
    let mut local: FxHashMap<u32, u32> = FxHashMap::default();
    let mut global: Vec<u32> = Vec::new();
    let examples: Vec<Example> = corrections
        .iter()
        .map(|(features, label, offset)| Example {
            offset: *offset,
            features: features
                .iter()
                .map(|&(i, v)| {
                    let k = *local.entry(i).or_insert_with(|| {
                        global.push(i);
                        (global.len() - 1) as u32
                    });
                    (k, v)
                })
                .collect(),
            label: *label,
        })
        .collect();
    let dense = ensemble_in(&examples, bits, global.len(), config);
    let weights = dense
        .weights
        .chunks_exact(3)
        .zip(&global)
        .filter(|(w, _)| w.iter().any(|x| *x != 0.0))
        .map(|(w, &i)| (i, [w[0], w[1], w[2]]))
        .collect();
    Adaptation { weights, bias: dense.bias }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn train(examples: &[Example], bits: u32, config: TrainConfig) -> LinearModel {
        train_scaled(examples, bits, config, None)
    }

    fn example(x: &Extractor, text: &str, label: usize) -> Example {
        Example { features: x.extract(text), label, offset: [0.0; 3] }
    }

    #[test]
    fn weights_round_trip_and_reject_garbage() {
        let x = Extractor::new(10);
        let m = train(&[example(&x, "good", 2), example(&x, "bad", 0)], 10, TrainConfig::SHARED);
        let read = LinearModel::from_bytes(&m.to_bytes()).unwrap();
        // Half precision: the same bytes again, weights within rounding.
        assert_eq!(read.to_bytes(), m.to_bytes());
        assert_eq!(read.bias, m.bias);
        assert!(read.weights.iter().zip(&m.weights).all(|(a, b)| (a - b).abs() <= b.abs() / 1000.0 + 1e-7));
        assert!(LinearModel::from_bytes(b"SMRMSENT\x01\0\0\0").is_err());
        assert!(LinearModel::from_bytes(&m.to_bytes()[..100]).is_err());
    }

    #[test]
    fn training_is_deterministic() {
        let x = Extractor::new(12);
        let data: Vec<_> = ["love it", "hate it", "it is a phone", "great", "awful", "a table"]
            .iter()
            .zip([2, 0, 1, 2, 0, 1])
            .map(|(t, l)| example(&x, t, l))
            .collect();
        assert_eq!(train(&data, 12, TrainConfig::SHARED).to_bytes(), train(&data, 12, TrainConfig::SHARED).to_bytes());
    }

    #[test]
    fn an_adaptation_round_trips_and_moves_its_texts_only() {
        let x = Extractor::new(12);
        let shared =
            train(&[example(&x, "good", 2), example(&x, "bad", 0), example(&x, "table", 1)], 12, TrainConfig::SHARED);
        let jolly = x.extract("jolly");
        let corrections = vec![(jolly.clone(), 0, shared.logits(&jolly)); 20];
        let a = adapt(12, &corrections, TrainConfig::ADAPTATION);
        assert_eq!(Adaptation::from_bytes(&a.to_bytes()).unwrap(), a);
        assert_eq!(sentiment_of(a.logits(&jolly, shared.logits(&jolly))).label, SentimentLabel::Negative);
        assert!(Adaptation::from_bytes(&a.to_bytes()[..20]).is_err());
    }

    #[test]
    fn the_score_stays_in_range() {
        for z in [[100.0, -100.0, 0.0], [-50.0, 0.0, 80.0], [0.0; 3]] {
            let s = sentiment_of(z);
            assert!((-1.0..=1.0).contains(&s.score), "{z:?} → {}", s.score);
        }
    }
}
