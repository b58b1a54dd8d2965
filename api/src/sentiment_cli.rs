//! `smrm sentiment …`: train the shipped weights, evaluate them, and run the
//! adaptation experiment. Everything runs on one thread with fixed seeds, so
//! `train` reproduces `infra/models/sentiment.bin` bit for bit.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use smrm_infra::sentiment::data::Labelled;
use smrm_infra::sentiment::model::{self, LinearModel, TrainConfig};
use smrm_infra::sentiment::{
    BuiltinSentiment, SHIPPED_BITS, TRAINING_FILES, VALIDATION_FILES, evaluate, read_files, train_on,
};

pub const USAGE: &str = "\
usage: smrm sentiment <train|eval|adapt-experiment> [--data DIR] [--weights FILE]

    train             train the shared model on the *_train.tsv files of DIR
                      and write FILE (default infra/models/sentiment.bin)
    eval              print macro-F1, accuracy and per-class F1 of FILE (default:
                      the weights built into this binary) on each labelled file
                      of DIR (training files marked), and its throughput on one
                      core
    adapt-experiment  train without one set, feed N of its training rows as a
                      tenant's corrections, score on its validation file

DIR defaults to ../shared/sentiment.";

struct Args {
    data: PathBuf,
    weights: Option<PathBuf>,
}

fn parse(args: &[String]) -> Result<Args, String> {
    let mut out = Args { data: PathBuf::from("../shared/sentiment"), weights: None };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().cloned().ok_or_else(|| format!("`{a}` needs a value"));
        match a.as_str() {
            "--data" => out.data = PathBuf::from(value()?),
            "--weights" => out.weights = Some(PathBuf::from(value()?)),
            other => return Err(format!("unknown argument `{other}`\n\n{USAGE}")),
        }
    }
    Ok(out)
}

fn say(line: impl std::fmt::Display) {
    let _ = writeln!(std::io::stdout(), "{line}");
}

pub fn run(args: &[String]) -> Result<(), String> {
    let Some((command, rest)) = args.split_first() else { return Err(USAGE.into()) };
    let args = parse(rest)?;
    let read = |files: &[&str]| read_files(&args.data, files).map_err(|e| e.to_string());
    match command.as_str() {
        "train" => {
            let rows = read(TRAINING_FILES)?;
            let started = Instant::now();
            let model = train_on(&rows, SHIPPED_BITS, TrainConfig::SHARED);
            let out = args.weights.unwrap_or_else(|| PathBuf::from("infra/models/sentiment.bin"));
            std::fs::write(&out, model.to_bytes()).map_err(|e| format!("{}: {e}", out.display()))?;
            say(format_args!(
                "trained on {} rows in {:.1} s; wrote {}",
                rows.len(),
                started.elapsed().as_secs_f64(),
                out.display()
            ));
            Ok(())
        }
        "eval" => {
            let analyzer = match &args.weights {
                Some(path) => {
                    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
                    BuiltinSentiment::new(LinearModel::from_bytes(&bytes).map_err(|e| e.to_string())?)
                }
                None => {
                    let started = Instant::now();
                    let a = BuiltinSentiment::shipped();
                    say(format_args!("loaded the built-in weights in {} ms", started.elapsed().as_millis()));
                    a
                }
            };
            for file in TRAINING_FILES {
                let rows = read(&[file])?;
                say(format_args!("{file:<24} {}  (trained on)", evaluate(&rows, |t| analyzer.score(t)).summary()));
            }
            let mut all = Vec::new();
            for file in VALIDATION_FILES {
                let rows = read(&[file])?;
                say(format_args!("{file:<24} {}", evaluate(&rows, |t| analyzer.score(t)).summary()));
                all.extend(rows);
            }
            throughput(&analyzer, &all);
            Ok(())
        }
        "adapt-experiment" => adapt_experiment(&args),
        _ => Err(USAGE.into()),
    }
}

/// Texts per second on this thread (one core), over the validation texts.
fn throughput(analyzer: &BuiltinSentiment, rows: &[Labelled]) {
    let mut scored = 0usize;
    let mut checksum = 0.0;
    let started = Instant::now();
    while started.elapsed().as_secs_f64() < 2.0 {
        for r in rows {
            checksum += analyzer.score(&r.text).score;
        }
        scored += rows.len();
    }
    let per_second = scored as f64 / started.elapsed().as_secs_f64();
    say(format_args!("throughput: {per_second:.0} texts/s on one core ({scored} texts, checksum {checksum:.1})"));
}

/// Rows per step of the adaptation experiment.
const STEPS: &[usize] = &[250, 500, 1000, 2000];

/// For each set: a base model trained on the other sets only; then the first
/// N of the set's (shuffled) training rows as corrections; macro-F1 on its
/// validation file after each step, against the model trained on everything.
fn adapt_experiment(args: &Args) -> Result<(), String> {
    let read = |files: &[&str]| read_files(&args.data, files).map_err(|e| e.to_string());
    let everything = train_on(&read(TRAINING_FILES)?, SHIPPED_BITS, TrainConfig::SHARED);
    let everything = BuiltinSentiment::new(everything);
    for (held, validation) in TRAINING_FILES.iter().zip(VALIDATION_FILES) {
        let others: Vec<&str> = TRAINING_FILES.iter().copied().filter(|f| f != held).collect();
        let base = BuiltinSentiment::new(train_on(&read(&others)?, SHIPPED_BITS, TrainConfig::SHARED));
        let mut domain = read(&[held])?;
        // A fixed shuffle, so the N first rows are a fair sample of the set.
        model::shuffle(&mut domain, 7);
        let val = read(&[validation])?;
        say(format_args!("held out {held}; scored on {validation}"));
        say(format_args!("  trained on everything     {}", evaluate(&val, |t| everything.score(t)).summary()));
        say(format_args!("  base, without it          {}", evaluate(&val, |t| base.score(t)).summary()));
        let x = base.extractor();
        for &n in STEPS {
            let corrections: Vec<_> = domain.iter().take(n).map(|r| (x.extract(&r.text), r.label)).collect();
            let adaptation = model::adapt(base.model(), &corrections, TrainConfig::ADAPTATION);
            let c = evaluate(&val, |t| {
                let f = x.extract(t);
                model::sentiment_of(adaptation.logits(&f, base.model().logits(&f)))
            });
            say(format_args!("  + {n:>5} corrections       {}  ({} buckets)", c.summary(), adaptation.len()));
            let rows: Vec<Labelled> = domain.iter().take(n).cloned().collect();
            let outright = BuiltinSentiment::new(train_on(&rows, SHIPPED_BITS, TrainConfig::SHARED));
            say(format_args!("    those {n:>5} rows alone   {}", evaluate(&val, |t| outright.score(t)).summary()));
        }
    }
    Ok(())
}
