"""Score word vectors with gensim 4.4, the same way for every system.

Usage:
  python quality.py eval QUESTIONS PAIRS FILE...      one JSON line per FILE on stdout
  python quality.py nearest WORDS FILE...             one JSON line per FILE: gensim most_similar top-5

FILE ending in .bin is loaded with KeyedVectors.load_word2vec_format(binary=True), anything else
(fastText .vec, word2vec text) with binary=False.
eval: evaluate_word_analogies(QUESTIONS, restrict_vocab=30000) (case-insensitive default) and
evaluate_word_pairs(PAIRS) (tab delimiter, restrict_vocab=300000 and case-insensitive defaults),
and evaluate_word_pairs(PAIRS, restrict_vocab=30000) to compare with `wordpipe evaluate --restrict 30000`.
nearest: WORDS is comma-separated; most_similar(word, topn=5) for each.
"""
import json
import sys
import time

from gensim.models import KeyedVectors


def load(path):
    return KeyedVectors.load_word2vec_format(path, binary=path.endswith(".bin"))


def main():
    mode = sys.argv[1]
    if mode == "eval":
        questions, pairs, files = sys.argv[2], sys.argv[3], sys.argv[4:]
        for path in files:
            t0 = time.perf_counter()
            kv = load(path)
            score, sections = kv.evaluate_word_analogies(questions, restrict_vocab=30000)
            total = next(s for s in sections if s["section"] == "Total accuracy")
            pearson, spearman, oov = kv.evaluate_word_pairs(pairs)
            # The same at restrict_vocab=30000: `wordpipe evaluate --restrict N` restricts the pairs too.
            _, spearman30k, oov30k = kv.evaluate_word_pairs(pairs, restrict_vocab=30000)
            print(json.dumps({
                "file": path, "words": len(kv), "dim": kv.vector_size,
                "analogy_accuracy": score, "analogy_correct": len(total["correct"]),
                "analogy_questions": len(total["correct"]) + len(total["incorrect"]),
                "pairs_spearman": float(spearman.statistic), "pairs_pearson": float(pearson.statistic),
                "pairs_oov_percent": oov, "pairs_spearman_30k": float(spearman30k.statistic),
                "pairs_oov_percent_30k": oov30k, "seconds": round(time.perf_counter() - t0, 1),
            }), flush=True)
    elif mode == "nearest":
        words, files = sys.argv[2].split(","), sys.argv[3:]
        for path in files:
            kv = load(path)
            out = {"file": path, "words": len(kv), "nearest": {}}
            for w in words:
                out["nearest"][w] = [[x, float(s)] for x, s in kv.most_similar(w, topn=5)] if w in kv else None
            print(json.dumps(out), flush=True)
    else:
        sys.exit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main()
