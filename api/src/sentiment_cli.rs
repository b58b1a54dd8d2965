//! `smrm sentiment …`: train the shipped weights, evaluate them, choose the
//! recipe, and run the adaptation experiment. Everything runs on one thread
//! with fixed seeds, so `train` reproduces `infra/models/sentiment.bin` bit
//! for bit.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use smrm_infra::sentiment::data::{self, Confusion, Labelled};
use smrm_infra::sentiment::generate::{self, TargetedRow};
use smrm_infra::sentiment::model::{self, TrainConfig};
use smrm_infra::sentiment::{
    BuiltinSentiment, Corpus, ENTITY_FILE, Recipe, SHIPPED_BITS, TRAINING_FILES, VALIDATION_FILES, Weights, evaluate,
    evaluate_targets, pool, read_corpus, read_files, train, train_on,
};

pub const USAGE: &str = "\
usage: smrm sentiment <train|eval|experiment|adapt-experiment> [--data DIR] [--weights FILE] [--recipe K=V,…]

    train             train the shared model on the training files of DIR
                      and write FILE (default infra/models/sentiment.bin)
    eval              FILE (default: the weights built into this binary) on
                      each labelled file of DIR (training files marked):
                      macro-F1 and per-class F1, F1 over positive/negative for
                      the entity file, two-brand accuracy on examples made
                      from the validation files, and throughput on one core
    experiment        the recipe's in-domain scores (held-out splits), its
                      leave-one-dataset-out scores and entity-level F1
    folds             the recipe's RuSentNE scores (sentences, and entities)
                      over five folds: steadier than one held-out fifth
    adapt-experiment  train without one set, feed N of its training rows as a
                      tenant's corrections, score on its validation file

DIR defaults to ../shared/sentiment. --in-domain stops `experiment` before
its leave-one-dataset-out part. --recipe overrides the shipped recipe
(for trying one; the shipped weights are trained without it): the text model's epochs, lr, l2 and ensemble, `repeat`
(the most a small set's rows are repeated), `balance` (the most a
set's rarer class's rows are repeated), `entity` (how often an entity
row is learnt by the head) and `shift` (taken off the head's neutral
bias), e.g. --recipe epochs=8,repeat=1.";

struct Args {
    data: PathBuf,
    weights: Option<PathBuf>,
    recipe: Recipe,
    /// `experiment` without the leave-one-dataset-out part.
    in_domain: bool,
}

fn parse(args: &[String]) -> Result<Args, String> {
    let mut out =
        Args { data: PathBuf::from("../shared/sentiment"), weights: None, recipe: Recipe::SHIPPED, in_domain: false };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().cloned().ok_or_else(|| format!("`{a}` needs a value"));
        match a.as_str() {
            "--data" => out.data = PathBuf::from(value()?),
            "--weights" => out.weights = Some(PathBuf::from(value()?)),
            "--in-domain" => out.in_domain = true,
            "--recipe" => {
                for pair in value()?.split(',') {
                    let (k, v) = pair.split_once('=').ok_or_else(|| format!("`{pair}`: expected key=value"))?;
                    let bad = || format!("`{pair}`: not a number");
                    match k {
                        "epochs" => out.recipe.text.epochs = v.parse().map_err(|_| bad())?,
                        "lr" => out.recipe.text.learning_rate = v.parse().map_err(|_| bad())?,
                        "l2" => out.recipe.text.l2 = v.parse().map_err(|_| bad())?,
                        "ensemble" => out.recipe.text.ensemble = v.parse().map_err(|_| bad())?,
                        "repeat" => out.recipe.max_repeat = v.parse().map_err(|_| bad())?,
                        "balance" => out.recipe.class_balance = v.parse().map_err(|_| bad())?,
                        "entity" => out.recipe.entity_weight = v.parse().map_err(|_| bad())?,
                        "shift" => out.recipe.neutral_shift = v.parse().map_err(|_| bad())?,
                        _ => return Err(format!("unknown recipe key `{k}`")),
                    }
                }
            }
            other => return Err(format!("unknown argument `{other}`\n\n{USAGE}")),
        }
    }
    Ok(out)
}

fn say(line: impl std::fmt::Display) {
    let _ = writeln!(std::io::stdout(), "{line}");
}

fn read(dir: &Path, files: &[&str]) -> Result<Vec<Labelled>, String> {
    read_files(dir, files).map_err(|e| e.to_string())
}

pub fn run(args: &[String]) -> Result<(), String> {
    let Some((command, rest)) = args.split_first() else { return Err(USAGE.into()) };
    let args = parse(rest)?;
    match command.as_str() {
        "train" => {
            let corpus = read_corpus(&args.data).map_err(|e| e.to_string())?;
            let started = Instant::now();
            let weights = train(&corpus, args.recipe);
            let out = args.weights.unwrap_or_else(|| PathBuf::from("infra/models/sentiment.bin"));
            std::fs::write(&out, weights.to_bytes()).map_err(|e| format!("{}: {e}", out.display()))?;
            say(format_args!(
                "trained on {} texts and {} entity rows in {:.1} s; wrote {}",
                corpus.texts(),
                corpus.entities.len(),
                started.elapsed().as_secs_f64(),
                out.display()
            ));
            Ok(())
        }
        "eval" => eval(&args),
        "experiment" => experiment(&args),
        "folds" => folds(&args),
        "adapt-experiment" => adapt_experiment(&args),
        _ => Err(USAGE.into()),
    }
}

fn eval(args: &Args) -> Result<(), String> {
    let analyzer = match &args.weights {
        Some(path) => {
            let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
            BuiltinSentiment::new(Weights::from_bytes(&bytes).map_err(|e| e.to_string())?)
        }
        None => {
            let started = Instant::now();
            let a = BuiltinSentiment::shipped();
            say(format_args!(
                "loaded the built-in weights ({:.1} MiB) in {} ms",
                smrm_infra::sentiment::SHIPPED_WEIGHTS.len() as f64 / (1 << 20) as f64,
                started.elapsed().as_millis()
            ));
            a
        }
    };
    for file in TRAINING_FILES {
        let rows = read(&args.data, &[file])?;
        say(format_args!("{file:<30} {}  (trained on)", evaluate(&rows, |t| analyzer.score(t)).summary()));
    }
    let entities = data::read_entity_tsv(&args.data.join(ENTITY_FILE)).map_err(|e| e.to_string())?;
    let c = evaluate_targets(&entities, &analyzer);
    say(format_args!("{ENTITY_FILE:<30} F1 pos/neg {:.3}  {}  (trained on)", c.polar_f1(), c.summary()));
    let mut all = Vec::new();
    for file in VALIDATION_FILES {
        let rows = read(&args.data, &[file])?;
        say(format_args!("{file:<30} {}", evaluate(&rows, |t| analyzer.score(t)).summary()));
        all.extend(rows);
    }
    let pairs = two_brand_examples(&all);
    say_two_brand(&analyzer, &pairs, "the validation files");
    throughput(&analyzer, &all, &pairs);
    Ok(())
}

/// Two-brand posts (kinds 2 and 3 of [`generate`]) made from `rows`, with a
/// seed the shipped training does not use.
fn two_brand_examples(rows: &[Labelled]) -> Vec<TargetedRow> {
    let (ru, en): (Vec<Labelled>, Vec<Labelled>) = rows.iter().cloned().partition(|r| r.text.chars().any(is_cyrillic));
    let mut out = Vec::new();
    for (rows, russian) in [(ru, true), (en, false)] {
        out.extend(generate::generate(&rows, russian, generate::Mix::two_brands(300), 20_261_204));
    }
    out
}

fn is_cyrillic(c: char) -> bool {
    matches!(c, '\u{0400}'..='\u{04FF}')
}

/// Prints the two-brand accuracy on `pairs`, made from `source`.
fn say_two_brand(analyzer: &BuiltinSentiment, pairs: &[TargetedRow], source: &str) {
    let (right, (both, posts)) = two_brand_accuracy(analyzer, pairs);
    say(format_args!(
        "Two-brand posts made from {source}: {:.3} of {} brand mentions right; both brands right in {:.3} of {posts} posts",
        right.accuracy(),
        right.total(),
        both as f64 / posts.max(1) as f64,
    ));
}

/// Per brand mention, and per post (both brands right, posts).
fn two_brand_accuracy(analyzer: &BuiltinSentiment, rows: &[TargetedRow]) -> (Confusion, (usize, usize)) {
    let mut c = Confusion::default();
    let (mut both, mut posts) = (0, 0);
    for pair in rows.chunks_exact(2) {
        let mut all_right = true;
        for r in pair {
            let got = model::class_index(analyzer.score_toward(&r.text, &r.target).label);
            c.add(r.label, got);
            all_right &= got == r.label;
        }
        posts += 1;
        both += usize::from(all_right);
    }
    (c, (both, posts))
}

/// Texts per second on this thread (one core): whole texts (the validation
/// texts), and (post, brand) pairs (the two-brand posts, both brands read
/// in one call, as ingest does).
fn throughput(analyzer: &BuiltinSentiment, rows: &[Labelled], pairs: &[TargetedRow]) {
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
    say(format_args!(
        "throughput, whole texts: {per_second:.0} texts/s on one core ({scored} texts, checksum {checksum:.1})"
    ));
    let (mut scored, mut checksum) = (0usize, 0.0);
    let started = Instant::now();
    while started.elapsed().as_secs_f64() < 2.0 {
        for pair in pairs.chunks_exact(2) {
            let folded = smrm_domain::text::fold(&pair[0].text);
            let targets: Vec<_> = pair.iter().map(|r| smrm_domain::text::places(&folded, &[&r.target])).collect();
            let (_, toward) = analyzer.score_all(&pair[0].text, &folded, &targets, None);
            checksum += toward.iter().map(|s| s.score).sum::<f64>();
            scored += toward.len();
        }
    }
    let per_second = scored as f64 / started.elapsed().as_secs_f64();
    say(format_args!(
        "throughput, targeted: {per_second:.0} (post, brand) pairs/s on one core, folding included ({scored} pairs, checksum {checksum:.1})"
    ));
}

/// A set's name, training rows and test rows.
type Set = (&'static str, Vec<Labelled>, Vec<Labelled>);

/// The sets, each with its training rows and its test rows: the validation
/// file where the set has one, else the held-out fifth ([`data::held_out`]).
fn sets(dir: &Path) -> Result<Vec<Set>, String> {
    let mut out = Vec::new();
    for (name, train_file, test_file) in [
        ("GoEmotions (en)", "goemotions_en_train.tsv", Some("goemotions_en_val.tsv")),
        ("CEDR (ru)", "cedr_ru_train.tsv", Some("cedr_ru_val.tsv")),
        ("RuSentNE sentences (ru)", "rusentne_ru_train.tsv", None),
        ("BRIGHTER (ru)", "brighter_ru_train.tsv", None),
    ] {
        let rows = read(dir, &[train_file])?;
        let (train, test) = match test_file {
            Some(f) => (rows, read(dir, &[f])?),
            None => rows.into_iter().partition(|r| !data::held_out(&r.text)),
        };
        out.push((name, train, test));
    }
    Ok(out)
}

/// In-domain, leave-one-dataset-out and entity-level scores of a recipe.
fn experiment(args: &Args) -> Result<(), String> {
    let recipe = args.recipe;
    say(format_args!("recipe: {recipe:?}"));
    let sets = sets(&args.data)?;
    let entities = data::read_entity_tsv(&args.data.join(ENTITY_FILE)).map_err(|e| e.to_string())?;
    let (entity_train, entity_test): (Vec<TargetedRow>, Vec<TargetedRow>) =
        entities.into_iter().partition(|r| !data::held_out(&r.text));
    let corpus = Corpus { sets: sets.iter().map(|(_, train, _)| train.clone()).collect(), entities: entity_train };
    let started = Instant::now();
    let model = BuiltinSentiment::new(train(&corpus, recipe));
    say(format_args!("\nIn-domain: trained on every set's training rows ({:.0} s)\n", started.elapsed().as_secs_f64()));
    say("| set | test rows | macro-F1 | F1 negative / neutral / positive |\n|---|---|---|---|");
    let mut tests = Vec::new();
    for (name, _, test) in &sets {
        let c = evaluate(test, |t| model.score(t));
        let f1 = c.f1();
        say(format_args!(
            "| {name} | {} | **{:.3}** | {:.3} / {:.3} / {:.3} |",
            test.len(),
            c.macro_f1(),
            f1[0],
            f1[1],
            f1[2]
        ));
        tests.extend(test.iter().cloned());
    }
    let toward = evaluate_targets(&entity_test, &model);
    let blind = {
        let mut c = Confusion::default();
        for r in &entity_test {
            c.add(r.label, model::class_index(model.score(&r.text).label));
        }
        c
    };
    let found = entity_test
        .iter()
        .filter(|r| !smrm_domain::text::places(&smrm_domain::text::fold(&r.text), &[&r.target]).is_empty())
        .count();
    say(format_args!(
        "\nRuSentNE entities, held-out sentences ({} rows, the entity found in {found}): F1 pos/neg **{:.3}** toward the entity ({}); {:.3} scoring the whole sentence",
        entity_test.len(),
        toward.polar_f1(),
        toward.summary(),
        blind.polar_f1()
    ));
    say_two_brand(&model, &two_brand_examples(&tests), "the test rows");
    if args.in_domain {
        return Ok(());
    }
    say("\nLeave one dataset out: trained on the other sets' training rows, scored on this set's test rows\n");
    say("| left out | macro-F1 | F1 negative / neutral / positive |\n|---|---|---|");
    let mut sum = 0.0;
    for (k, (name, _, test)) in sets.iter().enumerate() {
        let others: Vec<&[Labelled]> =
            sets.iter().enumerate().filter(|(j, _)| *j != k).map(|(_, (_, train, _))| train.as_slice()).collect();
        let text = train_on(&pool(&others, &recipe), SHIPPED_BITS, recipe.text);
        let c = evaluate(test, |t| model::sentiment_of(text.logits(&text.extractor().extract(t))));
        let f1 = c.f1();
        say(format_args!("| {name} | **{:.3}** | {:.3} / {:.3} / {:.3} |", c.macro_f1(), f1[0], f1[1], f1[2]));
        sum += c.macro_f1();
    }
    say(format_args!("\nmean leave-one-dataset-out macro-F1: {:.4}", sum / sets.len() as f64));
    Ok(())
}

/// RuSentNE's sentence- and entity-level scores over its five folds: for
/// each, a model trained on everything but the fold's RuSentNE sentences
/// (and its entity rows), scored on them; the confusions summed.
fn folds(args: &Args) -> Result<(), String> {
    let recipe = args.recipe;
    say(format_args!("recipe: {recipe:?}"));
    let mut corpus = read_corpus(&args.data).map_err(|e| e.to_string())?;
    let rusentne = TRAINING_FILES.iter().position(|f| f.starts_with("rusentne")).ok_or("no RuSentNE file")?;
    let sentences = std::mem::take(&mut corpus.sets[rusentne]);
    let entities = std::mem::take(&mut corpus.entities);
    let (mut texts, mut toward) = (Confusion::default(), Confusion::default());
    for fold in 0..5 {
        let mut c = corpus.clone();
        c.sets[rusentne] = sentences.iter().filter(|r| data::fold_of(&r.text) != fold).cloned().collect();
        c.entities = entities.iter().filter(|r| data::fold_of(&r.text) != fold).cloned().collect();
        let model = BuiltinSentiment::new(train(&c, recipe));
        let test: Vec<Labelled> = sentences.iter().filter(|r| data::fold_of(&r.text) == fold).cloned().collect();
        texts.merge(&evaluate(&test, |t| model.score(t)));
        let test: Vec<TargetedRow> = entities.iter().filter(|r| data::fold_of(&r.text) == fold).cloned().collect();
        toward.merge(&evaluate_targets(&test, &model));
    }
    say(format_args!("RuSentNE sentences, 5 folds: macro-F1 **{:.3}** ({})", texts.macro_f1(), texts.summary()));
    say(format_args!("RuSentNE entities, 5 folds: F1 pos/neg **{:.3}** ({})", toward.polar_f1(), toward.summary()));
    Ok(())
}

/// Rows per step of the adaptation experiment.
const STEPS: &[usize] = &[250, 500, 1000, 2000];

/// For the sets with a validation file: a base model trained on the other
/// sets only; then the first N of the set's (shuffled) training rows as
/// corrections; macro-F1 on its validation file after each step, against
/// the model trained on everything.
fn adapt_experiment(args: &Args) -> Result<(), String> {
    let dir = &args.data;
    let everything = train_on(&read(dir, TRAINING_FILES)?, SHIPPED_BITS, TrainConfig::SHARED);
    let score = |m: &model::LinearModel, t: &str| model::sentiment_of(m.logits(&m.extractor().extract(t)));
    for (held, validation) in TRAINING_FILES.iter().zip(VALIDATION_FILES) {
        let others: Vec<&str> = TRAINING_FILES.iter().copied().filter(|f| f != held).collect();
        let base = train_on(&read(dir, &others)?, SHIPPED_BITS, TrainConfig::SHARED);
        let mut domain = read(dir, &[held])?;
        // A fixed shuffle, so the N first rows are a fair sample of the set.
        model::shuffle(&mut domain, 7);
        let val = read(dir, &[validation])?;
        say(format_args!("held out {held}; scored on {validation}"));
        say(format_args!("  trained on everything     {}", evaluate(&val, |t| score(&everything, t)).summary()));
        say(format_args!("  base, without it          {}", evaluate(&val, |t| score(&base, t)).summary()));
        let x = base.extractor();
        for &n in STEPS {
            let corrections: Vec<model::CorrectionRow> = domain
                .iter()
                .take(n)
                .map(|r| {
                    let f = x.extract(&r.text);
                    let z = base.logits(&f);
                    (f, r.label, z)
                })
                .collect();
            let adaptation = model::adapt(base.bits(), &corrections, TrainConfig::ADAPTATION);
            let c = evaluate(&val, |t| {
                let f = x.extract(t);
                model::sentiment_of(adaptation.logits(&f, base.logits(&f)))
            });
            say(format_args!("  + {n:>5} corrections       {}  ({} buckets)", c.summary(), adaptation.len()));
            let rows: Vec<Labelled> = domain.iter().take(n).cloned().collect();
            let outright = train_on(&rows, SHIPPED_BITS, TrainConfig::SHARED);
            say(format_args!("    those {n:>5} rows alone   {}", evaluate(&val, |t| score(&outright, t)).summary()));
        }
    }
    Ok(())
}
