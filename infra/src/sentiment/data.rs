//! Labelled data (`label<TAB>text` files with a header) and the scores the
//! evaluation prints: accuracy, per-class and macro F1.

use std::path::Path;

use smrm_domain::model::mention::SentimentLabel;

use super::generate::TargetedRow;
use super::model::{CLASSES, class_index};

#[derive(Debug, Clone, PartialEq)]
pub struct Labelled {
    pub label: usize,
    pub text: String,
}

/// Reads a labelled TSV file. Rows with an unknown label are an error, so a
/// format change cannot silently shrink the training data.
pub fn read_tsv(path: &Path) -> std::io::Result<Vec<Labelled>> {
    let raw = std::fs::read_to_string(path)?;
    let bad = |line: usize, why: &str| {
        std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{}:{line}: {why}", path.display()))
    };
    let mut rows = Vec::new();
    for (n, line) in raw.lines().enumerate().skip(1) {
        if line.is_empty() {
            continue;
        }
        let (label, text) = line.split_once('\t').ok_or_else(|| bad(n + 1, "no tab"))?;
        let label = SentimentLabel::parse(label).ok_or_else(|| bad(n + 1, "unknown label"))?;
        rows.push(Labelled { label: class_index(label), text: text.to_owned() });
    }
    Ok(rows)
}

/// Reads the entity-level file: `label, entity_start, entity_end, entity,
/// sentence`, offsets in characters of the sentence.
pub fn read_entity_tsv(path: &Path) -> std::io::Result<Vec<TargetedRow>> {
    let raw = std::fs::read_to_string(path)?;
    let bad = |line: usize, why: &str| {
        std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{}:{line}: {why}", path.display()))
    };
    let mut rows = Vec::new();
    for (n, line) in raw.lines().enumerate().skip(1) {
        if line.is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.splitn(5, '\t').collect();
        let [label, start, end, entity, sentence] = cols[..] else { return Err(bad(n + 1, "not five columns")) };
        let label = SentimentLabel::parse(label).ok_or_else(|| bad(n + 1, "unknown label"))?;
        let (start, end): (usize, usize) = match (start.parse(), end.parse()) {
            (Ok(s), Ok(e)) if s < e => (s, e),
            _ => return Err(bad(n + 1, "bad offsets")),
        };
        // The entity as the offsets cut it (the column, should they disagree).
        let cut: String = sentence.chars().skip(start).take(end - start).collect();
        let target = if cut.trim().is_empty() { entity.to_owned() } else { cut };
        rows.push(TargetedRow { label: class_index(label), text: sentence.to_owned(), target });
    }
    Ok(rows)
}

/// Whether a row is in the held-out fifth of a set without a validation
/// file (RuSentNE, BRIGHTER; the entity file by its sentence): FNV-1a 64 of
/// the trimmed text, modulo 5 — a rule any language can repeat
/// (`tests/bench/sentiment_baseline.py` does).
pub fn held_out(text: &str) -> bool {
    fold_of(text) == 0
}

/// Which of five folds a text is in: [`held_out`]'s hash, modulo 5 (fold 0
/// is the held-out fifth).
pub fn fold_of(text: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.trim().bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h % 5
}

/// Predicted against true labels.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Confusion {
    /// `[truth][predicted]`
    counts: [[u64; 3]; 3],
}

impl Confusion {
    pub fn add(&mut self, truth: usize, predicted: usize) {
        self.counts[truth][predicted] += 1;
    }

    /// Adds another confusion's counts to this one.
    pub fn merge(&mut self, other: &Confusion) {
        for (row, o) in self.counts.iter_mut().zip(&other.counts) {
            for (x, y) in row.iter_mut().zip(o) {
                *x += y;
            }
        }
    }

    pub fn total(&self) -> u64 {
        self.counts.iter().flatten().sum()
    }

    pub fn accuracy(&self) -> f64 {
        let right: u64 = (0..3).map(|c| self.counts[c][c]).sum();
        ratio(right, self.total())
    }

    /// F1 of each class, in the order of [`CLASSES`].
    pub fn f1(&self) -> [f64; 3] {
        std::array::from_fn(|c| {
            let tp = self.counts[c][c];
            let predicted: u64 = (0..3).map(|t| self.counts[t][c]).sum();
            let actual: u64 = self.counts[c].iter().sum();
            let (p, r) = (ratio(tp, predicted), ratio(tp, actual));
            if p + r == 0.0 { 0.0 } else { 2.0 * p * r / (p + r) }
        })
    }

    pub fn macro_f1(&self) -> f64 {
        self.f1().iter().sum::<f64>() / 3.0
    }

    /// The mean F1 of positive and negative: RuSentNE-2023's metric.
    pub fn polar_f1(&self) -> f64 {
        let f1 = self.f1();
        (f1[0] + f1[2]) / 2.0
    }

    /// `macro-F1 0.741  accuracy 0.752  F1 negative 0.70 neutral 0.69 positive 0.83`
    pub fn summary(&self) -> String {
        let f1 = self.f1();
        let per_class: Vec<String> = CLASSES.iter().zip(f1).map(|(c, f)| format!("{} {f:.3}", c.as_str())).collect();
        format!("macro-F1 {:.3}  accuracy {:.3}  F1 {}", self.macro_f1(), self.accuracy(), per_class.join(" "))
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_follow_their_definitions() {
        let mut c = Confusion::default();
        // negatives: 2 right, 1 called neutral; neutral: 1 right; positive: 1 called negative
        for (t, p) in [(0, 0), (0, 0), (0, 1), (1, 1), (2, 0)] {
            c.add(t, p);
        }
        assert!((c.accuracy() - 0.6).abs() < 1e-9);
        let f1 = c.f1();
        // negative: precision 2/3, recall 2/3; neutral: precision 1/2, recall 1; positive: 0
        assert!((f1[0] - 2.0 / 3.0).abs() < 1e-9);
        assert!((f1[1] - 2.0 / 3.0).abs() < 1e-9);
        assert_eq!(f1[2], 0.0);
        assert!((c.macro_f1() - 4.0 / 9.0).abs() < 1e-9);
    }
}
