"""BLEU and chrF agreement between `wordpipe evaluate-seq2seq --json` and sacreBLEU.

System outputs are made from the real Multi30k validation references: word drops, adjacent
swaps, truncation, other sentences, case and punctuation changes, the German and French
sides as "translations", the released tokenized lower-cased text, and mixtures. Each system
file is scored against the raw English references with sacreBLEU's defaults, with
--lowercase, with --tokenize none, and one with two references. Agreement is to 2 decimals.
"""
import argparse
import gzip
import json
import os
import random
import subprocess
import sys

import sacrebleu
from sacrebleu.metrics import BLEU, CHRF


def read(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return [line.rstrip("\n") for line in handle]


def drop(rng, line, rate):
    words = line.split()
    kept = [w for w in words if rng.random() >= rate]
    return " ".join(kept or words[:1])


def swap(rng, line, count):
    words = line.split()
    for _ in range(count):
        if len(words) > 1:
            i = rng.randrange(len(words) - 1)
            words[i], words[i + 1] = words[i + 1], words[i]
    return " ".join(words)


def systems(refs, de, fr, tok_en, seed):
    rng = random.Random(seed)
    out = {}
    out["identical"] = list(refs)
    for rate in (0.05, 0.1, 0.2, 0.3, 0.5, 0.8):
        out[f"drop{int(rate * 100)}"] = [drop(rng, r, rate) for r in refs]
    for count in (1, 3, 8):
        out[f"swap{count}"] = [swap(rng, r, count) for r in refs]
    out["truncate-half"] = [" ".join(r.split()[: max(1, len(r.split()) // 2)]) for r in refs]
    out["repeat"] = [r + " " + r for r in refs]
    shuffled = list(refs)
    rng.shuffle(shuffled)
    out["other-sentences"] = shuffled
    out["half-other"] = [r if i % 2 else s for i, (r, s) in enumerate(zip(refs, shuffled))]
    out["upper"] = [r.upper() for r in refs]
    out["lower"] = [r.lower() for r in refs]
    out["no-punct"] = [r.replace(".", "").replace(",", "").replace("'", " ") for r in refs]
    out["tokenized-lc"] = list(tok_en)
    out["german"] = list(de)
    out["french"] = list(fr)
    out["empty-some"] = ["" if i % 7 == 0 else r for i, r in enumerate(refs)]
    out["mix"] = [swap(rng, drop(rng, r, 0.2), 2) for r in refs]
    out["first-3-words"] = [" ".join(r.split()[:3]) for r in refs]
    out["entities"] = [r.replace(" a ", " &amp; ").replace("man", "man-made 5-6") for r in refs]
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--wordpipe", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    refs = read(os.path.join(args.data, "val.en.gz"))
    de = read(os.path.join(args.data, "val.de.gz"))
    fr = read(os.path.join(args.data, "val.fr.gz"))
    tok_path = os.path.join(args.data, "tok", "val.lc.norm.tok.en")
    tok_en = read(tok_path) if os.path.exists(tok_path) else [r.lower() for r in refs]
    ref_path = os.path.join(args.out, "ref.en")
    with open(ref_path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(refs) + "\n")
    second = [drop(random.Random(args.seed + 7), r, 0.1) for r in refs]
    ref2_path = os.path.join(args.out, "ref2.en")
    with open(ref2_path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(second) + "\n")

    rows = []
    worst = 0.0
    agree = 0
    for name, hyps in systems(refs, de, fr, tok_en, args.seed).items():
        hyp_path = os.path.join(args.out, name + ".hyp")
        with open(hyp_path, "w", encoding="utf-8") as handle:
            handle.write("\n".join(hyps) + "\n")
        settings = [("default", [], {}, [refs], [ref_path]),
                    ("lowercase", ["--lowercase"], {"lowercase": True}, [refs], [ref_path]),
                    ("tokenize-none", ["--tokenize", "none"], {"tokenize": "none"}, [refs], [ref_path]),
                    ("two-refs", [], {}, [refs, second], [ref_path, ref2_path])]
        for label, flags, options, ref_streams, ref_paths in settings:
            if label == "two-refs" and name not in ("drop20", "mix", "german", "swap3"):
                continue
            ours = json.loads(subprocess.run(
                [args.wordpipe, "evaluate-seq2seq", "--hypotheses", hyp_path, "--references", *ref_paths, "--json", *flags],
                check=True, capture_output=True, text=True).stdout)
            bleu = BLEU(**options).corpus_score(hyps, ref_streams).score
            chrf_options = {"lowercase": True} if options.get("lowercase") else {}
            chrf = CHRF(**chrf_options).corpus_score(hyps, ref_streams).score
            diff = max(abs(ours["bleu"] - bleu), abs(ours["chrf"] - chrf))
            worst = max(worst, diff)
            same = f"{ours['bleu']:.2f}" == f"{bleu:.2f}" and f"{ours['chrf']:.2f}" == f"{chrf:.2f}"
            agree += same
            rows.append((name, label, bleu, ours["bleu"], chrf, ours["chrf"], same))
    print(f"{'system':<16} {'setting':<14} {'sacreBLEU':>9} {'ours':>9} {'chrF':>9} {'ours':>9}")
    for name, label, bleu, our_bleu, chrf, our_chrf, same in rows:
        print(f"{name:<16} {label:<14} {bleu:9.2f} {our_bleu:9.2f} {chrf:9.2f} {our_chrf:9.2f} {'' if same else 'DIFFERENT'}")
    print(f"sacrebleu {sacrebleu.__version__}: {agree} of {len(rows)} scorings agree to 2 decimals "
          f"(BLEU and chrF); largest absolute difference {worst:.2e}")
    return 0 if agree == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
