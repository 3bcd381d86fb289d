#!/usr/bin/env bash
# Entity F1 agreement with seqeval: `wordpipe evaluate-tagger --predictions F --json` against
# seqeval's classification_report / precision_score / recall_score / f1_score (default mode,
# micro average and per type) and accuracy_score, on prediction files made from the real
# CoNLL-2003 development-set gold tags with random corruptions (boundary shifts, type swaps,
# I- without B-, dropped, split, merged and spurious entities; IOB2, IOB1 and BIOES), plus
# hand-made edge cases. Prints how many files agree to 1e-9 and the largest absolute difference.
#
# Usage: Benchmarks/metrics/seqeval_agreement.sh
# Environment (all optional):
#   FILES=300 SEED=1   random files and their seed
#   WORDPIPE=path      a built wordpipe binary to use (then nothing is built)
#   SCRATCH=dir        SwiftPM scratch path of the release build (default: SwiftPM's .build)
#   GOLD=path          gold tags (default: ../shared/data/ner/conll2003/valid.txt)
#   OUTDIR=dir         where the prediction files go (default: a temporary directory, removed)
#   PYTHON=python3     interpreter used to create Benchmarks/.venv when it is missing
# seqeval comes from PyPI into Benchmarks/.venv, for this check only (never a dependency).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
FILES=${FILES:-300}
SEED=${SEED:-1}
GOLD=${GOLD:-$ROOT/../shared/data/ner/conll2003/valid.txt}
PYTHON=${PYTHON:-python3}
VENV=${VENV:-$ROOT/Benchmarks/.venv}

if [ ! -f "$GOLD" ]; then
    echo "seqeval_agreement: $GOLD: gold tags not found (set GOLD=...)" >&2
    exit 1
fi

source "$HERE/common.sh"
metric_venv seqeval_agreement seqeval seqeval
metric_wordpipe
metric_outdir

echo "== seqeval $("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("seqeval"))') against $WORDPIPE"
"$VENV/bin/python" "$HERE/seqeval_agreement.py" --wordpipe "$WORDPIPE" --gold "$GOLD" --out "$OUTDIR" \
    --files "$FILES" --seed "$SEED"
