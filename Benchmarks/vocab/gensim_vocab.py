"""Time gensim's Word2Vec.build_vocab on one corpus file (the vocab peer of `wordpipe vocab`).

Usage: python gensim_vocab.py MODE CORPUS OUT [--min-count 5]

MODE is `corpus_file` (build_vocab(corpus_file=CORPUS); gensim refuses compressed files there)
or `linesentence` (build_vocab(LineSentence(CORPUS)); .gz/.bz2 are read through smart_open).
Only build_vocab is timed (time.perf_counter). OUT receives the kept vocabulary as
`word<TAB>count`, most frequent first (ties by the word's UTF-8 bytes, as wordpipe sorts),
and a summary line goes to stdout and stderr:
    build_vocab_s=<s> corpus_total_words=<n> kept=<n> raw_types=<n> sentences=<n>
"""
import argparse
import sys
import time

from gensim.models import Word2Vec
from gensim.models.word2vec import LineSentence


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["corpus_file", "linesentence"])
    ap.add_argument("corpus")
    ap.add_argument("out")
    ap.add_argument("--min-count", type=int, default=5)
    args = ap.parse_args()

    model = Word2Vec(vector_size=100, min_count=args.min_count, workers=1)
    if args.mode == "corpus_file":
        t0 = time.perf_counter()
        # keep_raw_vocab only keeps the raw dict so that the number of types seen can be reported.
        model.build_vocab(corpus_file=args.corpus, keep_raw_vocab=True)
        secs = time.perf_counter() - t0
    else:
        corpus = LineSentence(args.corpus)  # max_sentence_length=10,000: long lines are cut, no word is lost
        t0 = time.perf_counter()
        model.build_vocab(corpus, keep_raw_vocab=True)
        secs = time.perf_counter() - t0

    wv = model.wv
    rows = sorted(((w, wv.get_vecattr(w, "count")) for w in wv.index_to_key),
                  key=lambda wc: (-wc[1], wc[0].encode("utf-8")))
    with open(args.out, "w", encoding="utf-8") as f:
        for w, c in rows:
            f.write(f"{w}\t{c}\n")
    line = (f"build_vocab_s={secs:.3f} corpus_total_words={model.corpus_total_words} kept={len(wv)} "
            f"raw_types={len(model.raw_vocab)} sentences={model.corpus_count}")
    print(line)
    print(line, file=sys.stderr)


if __name__ == "__main__":
    main()
