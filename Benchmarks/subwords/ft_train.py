"""fastText (the official `fasttext` module, 0.9.2) on the same corpus and settings as
`wordpipe train`: prints fastText's own training rate (its last `words/sec/thread` progress
figure, training alone), the seconds of the whole call, and the vocabulary size.

Usage: ft_train.py CORPUS OUT.vec --threads T --epochs E --dim D --minn MINN --maxn MAXN --bucket B --lr LR
(maxn 0: no subwords, fastText's word2vec-like mode).
"""
import argparse
import os
import re
import sys
import tempfile
import time

import fasttext

parser = argparse.ArgumentParser()
parser.add_argument("corpus")
parser.add_argument("output")
parser.add_argument("--threads", type=int, default=1)
parser.add_argument("--epochs", type=int, default=5)
parser.add_argument("--dim", type=int, default=100)
parser.add_argument("--minn", type=int, default=3)
parser.add_argument("--maxn", type=int, default=6)
parser.add_argument("--bucket", type=int, default=2_000_000)
parser.add_argument("--lr", type=float, default=0.05)
args = parser.parse_args()

# fastText writes its progress (\r-separated) to the C++ stderr: capture file descriptor 2.
log = tempfile.TemporaryFile(mode="w+b")
saved = os.dup(2)
os.dup2(log.fileno(), 2)
start = time.time()
try:
    model = fasttext.train_unsupervised(args.corpus, model="skipgram", dim=args.dim, ws=5, neg=5, t=1e-3, minCount=5,
                                        epoch=args.epochs, minn=args.minn, maxn=args.maxn if args.maxn > 0 else 0,
                                        bucket=args.bucket if args.maxn > 0 else 0, lr=args.lr, thread=args.threads,
                                        verbose=2)
finally:
    seconds = time.time() - start
    os.dup2(saved, 2)
log.seek(0)
text = log.read().decode("utf-8", "replace")
rates = re.findall(r"words/sec/thread:\s*(\d+)", text)
if not rates:
    sys.exit("no words/sec/thread in fastText's progress output:\n" + text[-2000:])
print(f"fasttext {fasttext.__file__}: words/sec/thread {rates[-1]} threads {args.threads} seconds {seconds:.1f} "
      f"vocabulary {len(model.words)} minn {args.minn} maxn {args.maxn}")
