"""Entity F1 agreement between `wordpipe evaluate-tagger --predictions F --json` and seqeval.

Writes prediction files in the conlleval layout (word, gold tag, predicted tag) made from the
real CoNLL-2003 gold tags with random corruptions, plus hand-made edge cases, scores each with
seqeval (default, non-strict mode) and with wordpipe, and compares every number: micro
precision/recall/F1, per-type precision/recall/F1/support, the type set, the entity counts and
token accuracy.

Usage: seqeval_agreement.py --wordpipe BIN --gold valid.txt --out DIR [--files N] [--seed S]
Prints one line per disagreeing file, then a summary; exits 1 if any file disagrees.
"""
import argparse
import json
import os
import random
import subprocess
import sys
import warnings

from seqeval.metrics import (accuracy_score, classification_report, f1_score, precision_score,
                             recall_score)
from seqeval.metrics.sequence_labeling import get_entities

TOLERANCE = 1e-9
TYPES = ["PER", "LOC", "ORG", "MISC"]


def read_conll(path):
    """Sentences of (word, tag) from a CoNLL file whose last column is the tag; -DOCSTART- skipped."""
    sentences, current = [], []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            fields = line.split()
            if not fields or fields[0] == "-DOCSTART-":
                if current:
                    sentences.append(current)
                    current = []
                continue
            current.append((fields[0], fields[-1]))
    if current:
        sentences.append(current)
    return sentences


def spans(tags):
    """IOB2 spans (type, start, end exclusive) of a valid IOB2 sequence."""
    return [(t, s, e + 1) for t, s, e in get_entities(tags)]


def to_bioes(tags):
    out = list(tags)
    for t, s, e in spans(tags):
        if e - s == 1:
            out[s] = "S-" + t
        else:
            out[s] = "B-" + t
            for i in range(s + 1, e - 1):
                out[i] = "I-" + t
            out[e - 1] = "E-" + t
    return out


def to_iob1(tags):
    """IOB1: I- everywhere, B- only where a chunk directly follows one of the same type."""
    out = ["O"] * len(tags)
    previous = None
    for t, s, e in spans(tags):
        for i in range(s, e):
            out[i] = "I-" + t
        if previous is not None and previous[2] == s and previous[0] == t:
            out[s] = "B-" + t
        previous = (t, s, e)
    return out


def corrupt(tags, rng, rate):
    """Random prediction errors on a (valid IOB2) gold sequence."""
    pred = list(tags)
    n = len(pred)
    for t, s, e in spans(tags):
        if rng.random() >= rate:
            continue
        kind = rng.choice(["shift_start", "shift_end", "type", "i_without_b", "drop", "split", "merge"])
        if kind == "shift_start":
            if rng.random() < 0.5 and s > 0:  # grow to the left
                pred[s - 1] = "B-" + t
                pred[s] = "I-" + t
            elif e - s > 1:  # shrink from the left
                pred[s] = "O"
                pred[s + 1] = "B-" + t
        elif kind == "shift_end":
            if rng.random() < 0.5 and e < n:
                pred[e] = "I-" + t
            elif e - s > 1:
                pred[e - 1] = "O"
            else:
                pred[s] = "O"
        elif kind == "type":
            other = rng.choice([x for x in TYPES if x != t])
            whole = rng.random() < 0.7
            for i in range(s, e):
                if whole or i == s or rng.random() < 0.5:
                    pred[i] = pred[i][:2] + other
        elif kind == "i_without_b":
            pred[s] = "I-" + t
        elif kind == "drop":
            for i in range(s, e):
                pred[i] = "O"
        elif kind == "split" and e - s > 1:
            pred[rng.randrange(s + 1, e)] = "B-" + t
        elif kind == "merge" and e < n:
            pred[e] = "I-" + t  # swallows the next token, whatever it was
    # Spurious entities and token noise.
    for i in range(n):
        r = rng.random()
        if pred[i] == "O" and r < rate * 0.08:
            t = rng.choice(TYPES)
            length = rng.randint(1, 3)
            pred[i] = rng.choice(["B-", "I-"]) + t
            for j in range(i + 1, min(n, i + length)):
                pred[j] = "I-" + t
        elif r < rate * 0.02:
            pred[i] = rng.choice(["O"] + [p + x for p in ("B-", "I-") for x in TYPES])
    return pred


def corrupt_scheme(tags, rng, rate, scheme):
    """Corrupts IOB2 tags and gives gold and predicted in `scheme`; BIOES corruption also breaks E-/S-."""
    gold = list(tags)
    pred = corrupt(tags, rng, rate)
    if scheme == "bioes":
        gold, pred = to_bioes(gold), to_bioes_noisy(pred, rng, rate)
    elif scheme == "iob1":
        gold, pred = to_iob1(gold), to_iob1(pred)
    return gold, pred


def to_bioes_noisy(pred, rng, rate):
    """`pred` (IOB2 with I- starts) in BIOES, then some prefixes flipped among B/I/E/S."""
    out = to_bioes(pred)
    for i, tag in enumerate(out):
        if tag != "O" and rng.random() < rate * 0.1:
            out[i] = rng.choice("BIES") + tag[1:]
    return out


def edge_cases():
    """Hand-made (name, gold, predicted) files."""
    return [
        ("entity_at_sentence_end", [["O", "B-PER", "I-PER"], ["B-LOC"]], [["O", "B-PER", "I-PER"], ["O"]]),
        ("i_without_b", [["B-PER", "I-PER", "O", "B-LOC"]], [["I-PER", "I-PER", "O", "I-LOC"]]),
        ("i_without_b_wrong", [["B-PER", "I-PER", "O", "B-LOC", "I-LOC"]], [["I-PER", "O", "O", "O", "I-LOC"]]),
        ("adjacent_same_type", [["B-PER", "B-PER", "O"]], [["B-PER", "I-PER", "B-PER"]]),
        ("b_i_b", [["B-PER", "I-PER", "B-PER"]], [["B-PER", "B-PER", "B-PER"]]),
        ("type_change_inside", [["B-PER", "I-PER", "O"]], [["B-PER", "I-LOC", "O"]]),
        ("all_o", [["O", "O"], ["O"]], [["O", "O"], ["O"]]),
        ("empty_predictions", [["B-PER", "O"], ["B-LOC", "I-LOC"]], [["O", "O"], ["O", "O"]]),
        ("only_spurious", [["O", "O", "O"]], [["B-MISC", "O", "I-ORG"]]),
        ("perfect", [["B-ORG", "I-ORG", "O", "B-PER"]], [["B-ORG", "I-ORG", "O", "B-PER"]]),
        ("bioes", [["S-PER", "O", "B-ORG", "I-ORG", "E-ORG"]], [["S-PER", "O", "B-ORG", "E-ORG", "S-ORG"]]),
        ("bioes_broken", [["B-LOC", "E-LOC", "S-PER"]], [["E-LOC", "I-LOC", "E-PER"]]),
        ("ioe", [["I-NP", "E-NP", "I-NP", "O", "E-VP"]], [["I-NP", "I-NP", "E-NP", "O", "E-VP"]]),
        ("single_tokens", [["B-PER"], ["O"], ["B-LOC"]], [["B-PER"], ["B-LOC"], ["I-LOC"]]),
        ("hyphenated_types", [["B-PER-X", "I-PER-X"]], [["B-PER-X", "I-PER-Y"]]),
    ]


def write_file(path, sentences, gold, pred):
    with open(path, "w", encoding="utf-8") as out:
        out.write("-DOCSTART- O O\n\n")
        for words, g, p in zip(sentences, gold, pred):
            for word, gt, pt in zip(words, g, p):
                out.write(f"{word} {gt} {pt}\n")
            out.write("\n")


def seqeval_numbers(gold, pred):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = classification_report(gold, pred, digits=10, output_dict=True, zero_division=0)
        numbers = {
            "micro.precision": precision_score(gold, pred),
            "micro.recall": recall_score(gold, pred),
            "micro.f1": f1_score(gold, pred),
            "report.micro.precision": report["micro avg"]["precision"],
            "report.micro.recall": report["micro avg"]["recall"],
            "report.micro.f1": report["micro avg"]["f1-score"],
            "micro.support": int(report["micro avg"]["support"]),
            "micro.predicted": len(get_entities(pred)),
            "token_accuracy": accuracy_score(gold, pred),
            "tokens": sum(len(x) for x in gold),
        }
    types = sorted(k for k in report if not k.endswith(" avg"))
    for t in types:
        numbers[f"{t}.precision"] = report[t]["precision"]
        numbers[f"{t}.recall"] = report[t]["recall"]
        numbers[f"{t}.f1"] = report[t]["f1-score"]
        numbers[f"{t}.support"] = int(report[t]["support"])
    return types, numbers


def wordpipe_numbers(binary, path):
    run = subprocess.run([binary, "evaluate-tagger", "--predictions", path, "--json"], capture_output=True, text=True)
    if run.returncode != 0:
        raise RuntimeError(f"{path}: wordpipe failed: {run.stderr.strip()}")
    result = json.loads(run.stdout)
    m = result["micro"]
    numbers = {
        "micro.precision": m["precision"], "micro.recall": m["recall"], "micro.f1": m["f1"],
        "report.micro.precision": m["precision"], "report.micro.recall": m["recall"], "report.micro.f1": m["f1"],
        "micro.support": m["support"], "micro.predicted": m["predicted"],
        "token_accuracy": result["token_accuracy"], "tokens": result["tokens"],
    }
    types = sorted(result["per_type"])
    for t, prf in result["per_type"].items():
        numbers[f"{t}.precision"] = prf["precision"]
        numbers[f"{t}.recall"] = prf["recall"]
        numbers[f"{t}.f1"] = prf["f1"]
        numbers[f"{t}.support"] = prf["support"]
    return types, numbers


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--wordpipe", required=True)
    parser.add_argument("--gold", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)

    corpus = read_conll(args.gold)
    rng = random.Random(args.seed)
    jobs = []  # (name, words, gold, pred)
    for name, gold, pred in edge_cases():
        words = [[f"w{i}" for i in range(len(g))] for g in gold]
        jobs.append((name, words, gold, pred))
    for index in range(args.files):
        # Most files are slices of 20-800 sentences; every 25th is the whole development set.
        if index % 25 == 0:
            chosen = corpus
        else:
            count = rng.randint(20, 800)
            start = rng.randrange(0, max(1, len(corpus) - count))
            chosen = corpus[start:start + count]
        rate = rng.choice([0.0, 0.02, 0.1, 0.3, 0.6, 1.0])
        scheme = rng.choice(["iob2", "iob2", "iob1", "bioes"])
        words = [[w for w, _ in s] for s in chosen]
        gold, pred = [], []
        for s in chosen:
            g, p = corrupt_scheme([t for _, t in s], rng, rate, scheme)
            gold.append(g)
            pred.append(p)
        jobs.append((f"random{index:04d}_{scheme}_rate{rate}", words, gold, pred))

    agree, max_diff, tokens_total, entities_total, f1s = 0, 0.0, 0, 0, []
    disagreements = []
    for name, words, gold, pred in jobs:
        path = os.path.join(args.out, name + ".txt")
        write_file(path, words, gold, pred)
        s_types, s = seqeval_numbers(gold, pred)
        w_types, w = wordpipe_numbers(args.wordpipe, path)
        tokens_total += s["tokens"]
        entities_total += s["micro.support"] + s["micro.predicted"]
        f1s.append(s["micro.f1"])
        problems = []
        if s_types != w_types:
            problems.append(f"types seqeval {s_types} wordpipe {w_types}")
        for key, value in s.items():
            if key not in w:
                problems.append(f"{key} missing")
                continue
            diff = abs(float(value) - float(w[key]))
            max_diff = max(max_diff, diff)
            if diff > TOLERANCE:
                problems.append(f"{key} seqeval {value} wordpipe {w[key]}")
        if problems:
            disagreements.append(name)
            print(f"DISAGREE {name}: " + "; ".join(problems[:5]))
        else:
            agree += 1
    print(f"files: {len(jobs)} ({len(edge_cases())} edge cases, {args.files} random); tokens: {tokens_total}; "
          f"gold + predicted entities: {entities_total}; seqeval micro F1 from {min(f1s):.4f} to {max(f1s):.4f}")
    print(f"agree to {TOLERANCE:g}: {agree}/{len(jobs)}; max |difference|: {max_diff:.3g}")
    return 0 if not disagreements else 1


if __name__ == "__main__":
    sys.exit(main())
