#!/usr/bin/env bash
# scripts/check-python-reader.sh [WORDPIPE] - checks python/wordpipe_read.py against the binary
# (a step of scripts/test.sh; a few seconds).
#
# On a small trained vector file: `python3 python/wordpipe_read.py V --word2vec-text OUT` must
# give the same words in the same order and the same float32 values as `wordpipe convert V -o
# OUT --format word2vec-text`; the header it prints for vectors, an encoded corpus and a tsv
# vocabulary must agree with `wordpipe inspect --json`; a flipped byte in a header must be an
# error; a vector file, an encoded corpus and a parameter file written by hand from FORMATS.md
# must pass `wordpipe inspect --verify`. WORDPIPE defaults to the debug build's binary.
#
# numpy comes from Benchmarks/.venv (git-ignored, shared with the benchmarks; created and numpy
# installed with pip when missing). Only when numpy cannot be installed is the check skipped,
# with a message saying so.
#   PYTHON=python3   interpreter used to create Benchmarks/.venv when it is missing
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
WORDPIPE=${1:-$(swift build --show-bin-path)/wordpipe}
PYTHON=${PYTHON:-python3}
VENV=$ROOT/Benchmarks/.venv
PY=$VENV/bin/python
export PYTHONDONTWRITEBYTECODE=1

say() { echo "python-reader: $*"; }
skip() { say "SKIPPED: $* (the Python reader was not checked)"; exit 0; }
fail() { say "FAILED: $*" >&2; exit 1; }

[ -x "$WORDPIPE" ] || fail "$WORDPIPE is not an executable (build first: swift build)"
started=$(date +%s%N)

# ---------------------------------------------------------------- numpy (same venv handling as the benchmarks)
if ! "$PY" -c "import numpy" 2>/dev/null; then
    if [ ! -x "$PY" ]; then
        say "creating $VENV"
        if ! "$PYTHON" -m venv "$VENV" 2>/dev/null; then
            [ "$(id -u)" = 0 ] || skip "'$PYTHON -m venv' failed and this is not root to install python3-venv"
            { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null; } ||
                skip "'$PYTHON -m venv' failed and python3-venv could not be installed"
            "$PYTHON" -m venv "$VENV" || skip "'$PYTHON -m venv' failed"
        fi
    fi
    say "pip install numpy into $VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check numpy || skip "numpy could not be installed with pip"
fi
say "numpy $("$PY" -c 'import numpy; print(numpy.__version__)') ($PY)"

# ---------------------------------------------------------------- a small trained vector file
WORK=$(mktemp -d "${TMPDIR:-/tmp}/wordpipe-python-reader.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
"$PY" - "$WORK/corpus.txt" <<'EOF'
import random, sys
# A fixed, varied corpus: 3,000 sentences over 400 words with a skewed frequency.
rng = random.Random(7)
words = [f"w{i}" for i in range(400)] + ["der", "Straße", "naïve", "東京"]
weights = [1.0 / (rank + 1) for rank in range(len(words))]
with open(sys.argv[1], "w", encoding="utf-8") as out:
    for _ in range(3000):
        out.write(" ".join(rng.choices(words, weights, k=rng.randint(4, 14))) + "\n")
EOF
"$WORDPIPE" train "$WORK/corpus.txt" -o "$WORK/v.wpv" --dim 12 --epochs 1 --threads 1 --seed 1 --min-count 2 --progress never 2>"$WORK/train.log" ||
    { cat "$WORK/train.log" >&2; fail "wordpipe train failed"; }
"$WORDPIPE" convert "$WORK/v.wpv" -o "$WORK/swift.txt" --format word2vec-text 2>/dev/null || fail "wordpipe convert failed"
"$PY" python/wordpipe_read.py "$WORK/v.wpv" --word2vec-text "$WORK/python.txt" || fail "wordpipe_read.py --word2vec-text failed"

# ---------------------------------------------------------------- other artifacts for the headers
"$WORDPIPE" vocab "$WORK/corpus.txt" -o "$WORK/vocab.tsv" --min-count 2 2>/dev/null || fail "wordpipe vocab failed"
"$WORDPIPE" encode "$WORK/corpus.txt" --vocab "$WORK/vocab.tsv" -o "$WORK/corpus.wpc" 2>/dev/null || fail "wordpipe encode failed"
for f in v.wpv corpus.wpc; do
    "$WORDPIPE" inspect "$WORK/$f" --json >"$WORK/$f.inspect.json" || fail "wordpipe inspect $f failed"
    "$PY" python/wordpipe_read.py "$WORK/$f" >"$WORK/$f.header.json" || fail "wordpipe_read.py $f failed"
done
"$PY" python/wordpipe_read.py "$WORK/vocab.tsv" >"$WORK/vocab.header.json" || fail "wordpipe_read.py vocab.tsv failed"
# A flipped byte inside the JSON header of the vectors must be refused.
"$PY" - "$WORK/v.wpv" "$WORK/damaged.wpv" <<'EOF'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
data[60] ^= 0x01
open(sys.argv[2], "wb").write(data)
EOF
if "$PY" python/wordpipe_read.py "$WORK/damaged.wpv" >/dev/null 2>"$WORK/damaged.err"; then
    fail "a vector file with a flipped header byte was read without an error"
fi
grep -q "damaged header" "$WORK/damaged.err" || fail "unexpected error for a damaged header: $(cat "$WORK/damaged.err")"

# ---------------------------------------------------------------- FORMATS.md is right
# A vector file, an encoded corpus and a parameter file written by hand from FORMATS.md's tables (layout, CRC-32C,
# the vocabulary fingerprint) must pass `wordpipe inspect --verify`, and the fingerprint must be
# the one `wordpipe encode` wrote for the same vocabulary.
"$PY" - "$WORK" <<'EOF' || fail "the files written from FORMATS.md's layout disagree with wordpipe (above)"
import json, struct, sys
sys.path.insert(0, "python")
from wordpipe_read import crc32c
work = sys.argv[1]
words = ["<unk>", "der", "Straße", "東京"]
header = json.dumps({"words": words, "counts": [0, 9, 5, 2], "specialCount": 1}, sort_keys=True).encode()
offset = (48 + len(header) + 63) // 64 * 64
padding = bytes(offset - 48 - len(header))
rows = struct.pack("<8f", 0.5, -1.25, 3.0, 0.0, 1e-5, 2.5, -7.0, 0.125)
fixed = b"WPVECTRS" + struct.pack("<IIQQQI", 2, 2, len(words), len(header), offset, crc32c(rows))
fixed += struct.pack("<I", crc32c(header + padding, crc32c(fixed)))
open(f"{work}/spec.wpv", "wb").write(fixed + header + padding + rows)
vocabulary = [line.split("\t")[0] for line in open(f"{work}/vocab.tsv", encoding="utf-8").read().splitlines()]
fingerprint = 0xCBF29CE484222325
for word in vocabulary:
    for byte in word.encode() + b"\n":
        fingerprint = ((fingerprint ^ byte) * 0x100000001B3) % (1 << 64)
recorded = json.load(open(f"{work}/corpus.wpc.header.json"))["fields"]["vocabulary_fingerprint"]
if f"{fingerprint:x}" != recorded:
    sys.exit(f"python-reader: vocabulary fingerprint {fingerprint:x} by FORMATS.md, {recorded} by wordpipe encode")
ids = struct.pack("<6I", 0, 1, 2, 0xFFFFFFFF, 3, 0xFFFFFFFF)
corpus = b"WPCORPUS" + struct.pack("<IIQQQQII4x", 2, 0, fingerprint, len(vocabulary), 4, 2, crc32c(ids), 0xFFFFFFFF)
open(f"{work}/spec.wpc", "wb").write(corpus + struct.pack("<I", crc32c(corpus)) + ids)
parameters = b"WPRNNPAR" + struct.pack("<III", 2, 4, 2)
for name, shape in (("embedding.weight", (2, 3)), ("bias", (1, 1))):
    parameters += struct.pack("<I", len(name)) + name.encode() + struct.pack("<QQ", *shape)
    parameters += struct.pack(f"<{shape[0] * shape[1]}f", *range(shape[0] * shape[1]))
open(f"{work}/spec.wprnn", "wb").write(parameters + struct.pack("<I", crc32c(parameters)))
EOF
for f in spec.wpv spec.wpc spec.wprnn; do
    "$WORDPIPE" inspect "$WORK/$f" --verify >"$WORK/$f.inspect" 2>&1 ||
        { cat "$WORK/$f.inspect" >&2; fail "wordpipe refuses $f, written from FORMATS.md"; }
done

# ---------------------------------------------------------------- compare
"$PY" - "$WORK" <<'EOF' || fail "the Python reader disagrees with wordpipe (above)"
import json, sys
import numpy as np
work = sys.argv[1]
sys.path.insert(0, "python")
from wordpipe_read import read_vectors

def load(path):
    with open(path, encoding="utf-8") as f:
        rows, dim = map(int, f.readline().split())
        words, values = [], []
        for line in f:
            parts = line.rstrip("\n").split(" ")
            words.append(parts[0])
            values.append(np.array(parts[1:], dtype=np.float32))
    assert len(words) == rows and all(len(v) == dim for v in values), path
    return words, np.vstack(values)

swift_words, swift = load(f"{work}/swift.txt")
python_words, python = load(f"{work}/python.txt")
problems = []
if swift_words != python_words:
    first = next((i for i, (a, b) in enumerate(zip(swift_words, python_words)) if a != b), min(len(swift_words), len(python_words)))
    problems.append(f"words differ from row {first}")
elif not np.array_equal(swift, python):
    rows, columns = np.nonzero(swift != python)
    problems.append(f"{len(rows)} values differ, first at row {rows[0]} column {columns[0]}")
# The memory-mapped matrix itself, bit for bit, against the printed values.
words, counts, matrix = read_vectors(f"{work}/v.wpv", verify=True)
if words != swift_words or not np.array_equal(np.asarray(matrix), swift):
    problems.append("read_vectors disagrees with the printed values")
# Headers against `wordpipe inspect --json`.
def fields(path):
    return {f["name"]: f.get("value") for f in json.load(open(path)).get("fields", [])}
inspect_v, header_v = json.load(open(f"{work}/v.wpv.inspect.json")), json.load(open(f"{work}/v.wpv.header.json"))
inspect_c, header_c = json.load(open(f"{work}/corpus.wpc.inspect.json")), json.load(open(f"{work}/corpus.wpc.header.json"))
vocab = json.load(open(f"{work}/vocab.header.json"))
checks = [
    ("vectors kind", header_v["kind"], "vectors"),
    ("vectors version", header_v["version"], inspect_v["version"]),
    ("vectors rows", header_v["fields"]["words"], len(swift_words)),
    ("vectors dim", header_v["fields"]["dim"], swift.shape[1]),
    ("vectors counts", sum(counts), header_v["fields"]["corpus_tokens"]),
    ("corpus kind", header_c["kind"], "encoded corpus"),
    ("corpus version", header_c["version"], inspect_c["version"]),
    ("vocabulary kind", vocab["kind"], "vocabulary (tsv)"),
]
for name, got, expected in checks:
    if got != expected:
        problems.append(f"{name}: {got!r}, expected {expected!r}")
for needle in (str(header_c["fields"]["tokens"]), str(header_c["fields"]["sentences"])):
    if needle not in json.dumps(inspect_c):
        problems.append(f"corpus figure {needle} not in wordpipe inspect's answer")
identical = open(f"{work}/swift.txt", "rb").read() == open(f"{work}/python.txt", "rb").read()
for problem in problems:
    print("python-reader:", problem, file=sys.stderr)
if problems:
    sys.exit(1)
print(f"python-reader: {len(swift_words)} words x {swift.shape[1]}: same words, same float32 values as wordpipe convert"
      f" (text {'byte-identical' if identical else 'not byte-identical, values equal'}); headers of .wpv, .wpc, .tsv agree;"
      " files written from FORMATS.md pass wordpipe inspect --verify")
EOF
elapsed=$(( ($(date +%s%N) - started) / 1000000 ))
say "passed in $((elapsed / 1000)).$(printf '%03d' $((elapsed % 1000))) s"
