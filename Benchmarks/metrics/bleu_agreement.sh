#!/usr/bin/env bash
# BLEU and chrF agreement with sacreBLEU: `wordpipe evaluate-seq2seq --json` against sacreBLEU's
# BLEU() and CHRF() defaults (plus lowercase=True, tokenize='none' and two references) on system
# files made from the real Multi30k validation references (word drops, swaps, truncation, other
# sentences, case and punctuation changes, the German and French sides, the tokenized release).
# Prints each scoring and how many agree to 2 decimals; exits 1 when any does not.
#
# Usage: Benchmarks/metrics/bleu_agreement.sh
# Environment (all optional):
#   VENV=dir           the Python venv holding sacrebleu (default: Benchmarks/.venv, created when missing)
#   WORDPIPE=path      a built wordpipe binary to use (then nothing is built)
#   SCRATCH=dir        SwiftPM scratch path of the release build (default: SwiftPM's .build)
#   DATA=dir           Multi30k (default: ../shared/data/translation/multi30k)
#   OUTDIR=dir         where the system files go (default: a temporary directory, removed)
#   SEED=1             seed of the perturbations
#   PYTHON=python3     interpreter used to create the venv when it is missing
# sacrebleu comes from PyPI into the venv, for this check only (never a dependency).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SEED=${SEED:-1}
DATA=${DATA:-$ROOT/../shared/data/translation/multi30k}
PYTHON=${PYTHON:-python3}
VENV=${VENV:-$ROOT/Benchmarks/.venv}

if [ ! -f "$DATA/val.en.gz" ]; then
    echo "bleu_agreement: $DATA/val.en.gz: Multi30k not found (set DATA=...)" >&2
    exit 1
fi

source "$HERE/common.sh"
metric_venv bleu_agreement sacrebleu sacrebleu
metric_wordpipe
metric_outdir

echo "== sacrebleu $("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("sacrebleu"))') against $WORDPIPE"
"$VENV/bin/python" "$HERE/bleu_agreement.py" --wordpipe "$WORDPIPE" --data "$DATA" --out "$OUTDIR" --seed "$SEED"
