# Sourced by the agreement scripts (seqeval_agreement.sh, bleu_agreement.sh): the peer's venv,
# the wordpipe binary and the output folder. Expects ROOT (the repository) and PYTHON.

# metric_venv SCRIPT MODULE PACKAGE: VENV (default Benchmarks/.venv) created when missing, with
# PACKAGE installed from PyPI when MODULE does not import (for the check only, never a dependency).
metric_venv() {
    local script=$1 module=$2 package=$3
    VENV=${VENV:-$ROOT/Benchmarks/.venv}
    if [ ! -x "$VENV/bin/python" ]; then
        echo "== creating $VENV"
        "$PYTHON" -m venv "$VENV" || {
            echo "$script: '$PYTHON -m venv' failed; on Debian install python3-venv" >&2
            exit 1
        }
    fi
    if ! "$VENV/bin/python" -c "import $module" 2>/dev/null; then
        echo "== pip install $package into $VENV"
        "$VENV/bin/pip" install --quiet "$package"
    fi
}

# metric_wordpipe: WORDPIPE, a release build (scratch path SCRATCH) unless already set.
metric_wordpipe() {
    if [ -z "${WORDPIPE:-}" ]; then
        echo "== building wordpipe (release)"
        local scratch=()
        if [ -n "${SCRATCH:-}" ]; then scratch=(--scratch-path "$SCRATCH"); fi
        (cd "$ROOT" && swift build -c release --product wordpipe "${scratch[@]}")
        WORDPIPE=$(cd "$ROOT" && swift build -c release --product wordpipe "${scratch[@]}" --show-bin-path)/wordpipe
    fi
}

# metric_outdir: OUTDIR, a temporary folder removed at exit unless already set.
metric_outdir() {
    if [ -z "${OUTDIR:-}" ]; then
        OUTDIR=$(mktemp -d)
        trap 'rm -rf "$OUTDIR"' EXIT
    fi
}
