#!/usr/bin/env python3
"""TF-IDF + logistic-regression sentiment baseline on the labelled sets in
shared/sentiment/ (see its README.md). The Rust classifier's benchmark uses the
same splits and protocol, so its figures can be set beside these.

Setup (a venv outside the repo; nothing is installed into it):

    python3 -m venv /tmp/skl
    /tmp/skl/bin/pip install scikit-learn numpy scipy

Run from the repository root:

    /tmp/skl/bin/python tests/bench/sentiment_baseline.py [--data DIR]

DIR defaults to ../shared/sentiment (relative to the current directory).
Output (stdout) is deterministic markdown; the runtime goes to stderr.

Protocol
--------
Files are TSV, UTF-8, one row per '\n'-terminated line, fields split on '\t',
first line a header, no quoting. Labels: negative / neutral / positive.

Splits:
  goemotions  train = goemotions_en_train.tsv   test = goemotions_en_val.tsv
  cedr        train = cedr_ru_train.tsv         test = cedr_ru_val.tsv
  rusentne    rusentne_ru_train.tsv, a row is test when
              fnv1a64(text.strip().encode('utf-8')) % 5 == 0, else train
  brighter    brighter_ru_train.tsv, same hash rule
  entity      rusentne_ru_entity_train.tsv (label, entity_start, entity_end,
              entity, sentence), a row is held out when
              fnv1a64(sentence.strip().encode('utf-8')) % 5 == 0
fnv1a64: FNV-1a 64-bit, offset basis 0xcbf29ce484222325, prime 0x100000001b3,
for each byte: h ^= byte; h = h * prime mod 2^64.

Recipe (fixed, not tuned on test): TfidfVectorizer(word, 1-2-grams,
lowercase, sublinear_tf, min_df=2) hstacked with TfidfVectorizer(char_wb,
2-5-grams, lowercase, sublinear_tf, min_df=2), then
LogisticRegression(C=4, max_iter=2000, class_weight='balanced'); vectorizers
are fitted on each model's training data only.

Sections:
  in-domain     one model on the union of the four train splits; macro-F1 and
                per-class F1 on each of the four test splits
  leave-one-out for each dataset d, a model on the other three train splits;
                macro-F1 on d's test split
  entity        the in-domain model applied to the sentence of each held-out
                entity row (blind to the target); F1 over positive/negative
                (RuSentNE's metric: f1_score(labels=[positive, negative],
                average='macro')) and 3-class macro-F1
"""
import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse
import sys
import time

from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

LABELS = ["negative", "neutral", "positive"]
DATASETS = ["goemotions", "cedr", "rusentne", "brighter"]
C = 4.0

FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3
MASK = (1 << 64) - 1


def fnv1a64(data: bytes) -> int:
    h = FNV_OFFSET
    for b in data:
        h ^= b
        h = (h * FNV_PRIME) & MASK
    return h


def held_out(text: str) -> bool:
    return fnv1a64(text.strip().encode("utf-8")) % 5 == 0


def read_tsv(path, ncols):
    rows = []
    with open(path, encoding="utf-8", newline="") as f:
        header = f.readline().rstrip("\n").split("\t")
        if len(header) != ncols:
            sys.exit(f"{path}: expected {ncols} columns, header is {header}")
        for n, line in enumerate(f, start=2):
            line = line.rstrip("\n")
            if not line:
                continue
            cols = line.split("\t")
            if len(cols) != ncols or cols[0] not in LABELS:
                sys.exit(f"{path}:{n}: malformed row")
            rows.append(cols)
    return rows


def load(data):
    p = lambda name: os.path.join(data, name)
    split = {}
    for name, tr, te in (("goemotions", "goemotions_en_train.tsv", "goemotions_en_val.tsv"),
                         ("cedr", "cedr_ru_train.tsv", "cedr_ru_val.tsv")):
        split[name] = {"train": [(r[0], r[1]) for r in read_tsv(p(tr), 2)],
                       "test": [(r[0], r[1]) for r in read_tsv(p(te), 2)]}
    for name, fn in (("rusentne", "rusentne_ru_train.tsv"), ("brighter", "brighter_ru_train.tsv")):
        rows = [(r[0], r[1]) for r in read_tsv(p(fn), 2)]
        split[name] = {"train": [r for r in rows if not held_out(r[1])],
                       "test": [r for r in rows if held_out(r[1])]}
    ent = read_tsv(p("rusentne_ru_entity_train.tsv"), 5)
    entity = {"train": [(r[0], r[4]) for r in ent if not held_out(r[4])],
              "test": [(r[0], r[4]) for r in ent if held_out(r[4])]}
    return split, entity


class Model:
    def __init__(self, rows):
        texts = [t for _, t in rows]
        y = [l for l, _ in rows]
        self.word = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), lowercase=True,
                                    sublinear_tf=True, min_df=2)
        self.char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), lowercase=True,
                                    sublinear_tf=True, min_df=2)
        X = hstack([self.word.fit_transform(texts), self.char.fit_transform(texts)]).tocsr()
        self.clf = LogisticRegression(C=C, max_iter=2000, class_weight="balanced")
        self.clf.fit(X, y)

    def predict(self, texts):
        X = hstack([self.word.transform(texts), self.char.transform(texts)]).tocsr()
        return list(self.clf.predict(X))


def f3(x):
    return f"{x:.3f}"


def counts(rows):
    c = {l: 0 for l in LABELS}
    for l, _ in rows:
        c[l] += 1
    return c


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=os.path.join("..", "shared", "sentiment"))
    args = ap.parse_args()
    t0 = time.time()

    assert fnv1a64(b"") == 0xCBF29CE484222325 and fnv1a64(b"a") == 0xAF63DC4C8601EC8C

    split, entity = load(args.data)

    print("## Row counts\n")
    print("| split | rows | negative | neutral | positive |")
    print("|---|---:|---:|---:|---:|")
    for name in DATASETS:
        for part in ("train", "test"):
            c = counts(split[name][part])
            print(f"| {name} {part} | {len(split[name][part])} | {c['negative']} | {c['neutral']} | {c['positive']} |")
    for part in ("train", "test"):
        c = counts(entity[part])
        print(f"| entity {part} | {len(entity[part])} | {c['negative']} | {c['neutral']} | {c['positive']} |")
    print()

    train_all = [r for d in DATASETS for r in split[d]["train"]]
    model = Model(train_all)
    print(f"## In-domain (train: union of the four train splits, {len(train_all)} rows)\n")
    print("| test split | rows | macro-F1 | F1 negative | F1 neutral | F1 positive |")
    print("|---|---:|---:|---:|---:|---:|")
    for d in DATASETS:
        y = [l for l, _ in split[d]["test"]]
        pred = model.predict([t for _, t in split[d]["test"]])
        macro = f1_score(y, pred, labels=LABELS, average="macro")
        per = f1_score(y, pred, labels=LABELS, average=None)
        print(f"| {d} | {len(y)} | {f3(macro)} | {f3(per[0])} | {f3(per[1])} | {f3(per[2])} |")
    print()

    print("## Entity-level, target-blind (in-domain model on the sentence of each held-out entity row)\n")
    y = [l for l, _ in entity["test"]]
    pred = model.predict([t for _, t in entity["test"]])
    pn = f1_score(y, pred, labels=["positive", "negative"], average="macro")
    macro = f1_score(y, pred, labels=LABELS, average="macro")
    print("| rows | F1 pos/neg (RuSentNE) | macro-F1 (3 classes) |")
    print("|---:|---:|---:|")
    print(f"| {len(y)} | {f3(pn)} | {f3(macro)} |")
    print()

    print("## Leave-one-dataset-out (train: the other three train splits)\n")
    print("| held-out dataset | train rows | test rows | macro-F1 |")
    print("|---|---:|---:|---:|")
    for d in DATASETS:
        tr = [r for o in DATASETS if o != d for r in split[o]["train"]]
        m = Model(tr)
        y = [l for l, _ in split[d]["test"]]
        pred = m.predict([t for _, t in split[d]["test"]])
        macro = f1_score(y, pred, labels=LABELS, average="macro")
        print(f"| {d} | {len(tr)} | {len(y)} | {f3(macro)} |", flush=True)

    print(f"runtime: {time.time() - t0:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
