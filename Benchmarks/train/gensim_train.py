"""Train gensim 4.4 skip-gram on one plain corpus file (the training peer of `wordpipe train`).

Usage: python gensim_train.py CORPUS OUT.bin --threads T [--epochs 5]

Word2Vec(sg=1, vector_size=100, window=5, negative=5, sample=1e-3, min_count=5, epochs=5,
workers=T, seed=1) is constructed without a corpus; build_vocab(corpus_file=CORPUS) and
train(corpus_file=CORPUS, total_words=model.corpus_total_words, epochs=5) are timed separately
(time.perf_counter), then the vectors are saved with save_word2vec_format(binary=True).
gensim's INFO log goes to stderr; the last stderr line is the summary:
    build_vocab_s=<s> train_s=<s> save_s=<s> corpus_total_words=<n> kept=<n> effective_words=<n> raw_words=<n>
"""
import argparse
import logging
import sys
import time

from gensim.models import Word2Vec


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("out")
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--epochs", type=int, default=5)
    args = ap.parse_args()
    logging.basicConfig(format="%(asctime)s %(levelname)s %(message)s", level=logging.INFO, stream=sys.stderr)

    model = Word2Vec(sg=1, vector_size=100, window=5, negative=5, sample=1e-3, min_count=5,
                     epochs=args.epochs, workers=args.threads, seed=1)
    t0 = time.perf_counter()
    model.build_vocab(corpus_file=args.corpus)
    t1 = time.perf_counter()
    effective, raw = model.train(corpus_file=args.corpus, total_words=model.corpus_total_words,
                                 epochs=args.epochs)
    t2 = time.perf_counter()
    model.wv.save_word2vec_format(args.out, binary=True)
    t3 = time.perf_counter()
    print(f"build_vocab_s={t1 - t0:.3f} train_s={t2 - t1:.3f} save_s={t3 - t2:.3f} "
          f"corpus_total_words={model.corpus_total_words} kept={len(model.wv)} "
          f"effective_words={effective} raw_words={raw}", file=sys.stderr)


if __name__ == "__main__":
    main()
