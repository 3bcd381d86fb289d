#!/usr/bin/env bash
# WordPipe vocabulary benchmark: `wordpipe vocab` (1 and 2 threads, exact and bounded memory)
# vs gensim 4.4 Word2Vec.build_vocab (corpus_file and LineSentence), same corpus.
#
# Usage: Benchmarks/vocab/run.sh
# Environment (all optional):
#   R=3                 repetitions per system (median is reported)
#   INPUT=file.gz       gzip corpus (default: ../shared/data/corpora/enwiki-2015-text8style-100M.txt.gz);
#                       it is also decompressed once (untimed) to OUTDIR/ to measure the plain file
#   WORDPIPE=path       wordpipe binary (default: .build/release/wordpipe, built with
#                       `swift build -c release --product wordpipe` only when missing).
#                       It is copied to OUTDIR/bin first so a rebuild during the run cannot mix binaries.
#   SYSTEMS="..."       which systems to run (default: all):
#                         wp1gz wp2gz     wordpipe --threads 1/2 on the .gz file
#                         wp1 wp2         wordpipe --threads 1/2 on the plain file
#                         wpb1gz wpb2gz   wordpipe --max-types-in-memory 20000, --threads 1/2, .gz file
#                         wpb1 wpb2       the same on the plain file
#                         gsfile          gensim build_vocab(corpus_file=plain)  (gensim refuses .gz there)
#                         gsls gslsgz     gensim build_vocab(LineSentence(plain / .gz))
#   MIN_COUNT=5  MAX_TYPES=20000
#   OUTDIR=dir          outputs, logs and report (default: Benchmarks/vocab/out)
#   PYTHON=python3      interpreter used to create the venv and write the report
# Every system is timed wall-clock around the whole command, peak RSS via /usr/bin/time %M; the
# inner time is wordpipe's own summary (stderr) and gensim's build_vocab alone (perf_counter).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# Peers run with OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset (Benchmarks/peer_env.sh); wordpipe keeps the environment.
# shellcheck source=../peer_env.sh
source "$ROOT/Benchmarks/peer_env.sh"
R=${R:-3}
INPUT=${INPUT:-}
USER_INPUT=$INPUT
USER_WORDPIPE=${WORDPIPE:-}
ALL_SYSTEMS="wp1gz wp2gz wp1 wp2 wpb1gz wpb2gz wpb1 wpb2 gsfile gsls gslsgz"
SYSTEMS=${SYSTEMS:-$ALL_SYSTEMS}
USER_SYSTEMS=${SYSTEMS}
MIN_COUNT=${MIN_COUNT:-5}
MAX_TYPES=${MAX_TYPES:-20000}
OUTDIR=${OUTDIR:-$HERE/out}
PYTHON=${PYTHON:-python3}
VENV=$ROOT/Benchmarks/.venv
GENSIM_VERSION=4.4.0

die() { echo "run.sh: error: $*" >&2; exit 1; }
log() { echo "== $*" >&2; }
has() { [[ " $SYSTEMS " == *" $1 "* ]]; }
has_any() { local s; for s in "$@"; do has "$s" && return 0; done; return 1; }

[[ "$R" =~ ^[1-9][0-9]*$ ]] || die "R must be a positive integer (got '$R')"
[[ "$MIN_COUNT" =~ ^[1-9][0-9]*$ ]] || die "MIN_COUNT must be a positive integer (got '$MIN_COUNT')"
[[ "$MAX_TYPES" =~ ^[1-9][0-9]*$ ]] || die "MAX_TYPES must be a positive integer (got '$MAX_TYPES')"
for s in $SYSTEMS; do
  [[ " $ALL_SYSTEMS " == *" $s "* ]] || die "unknown system '$s' in SYSTEMS (known: $ALL_SYSTEMS)"
done

if [[ -z "$INPUT" ]]; then
  for f in "$ROOT/../shared/data/corpora/enwiki-2015-text8style-100M.txt.gz" \
           /work/shared/data/corpora/enwiki-2015-text8style-100M.txt.gz; do
    if [[ -f "$f" ]]; then INPUT=$(cd "$(dirname "$f")" && pwd)/$(basename "$f"); break; fi
  done
  [[ -n "$INPUT" ]] || die "no INPUT given and enwiki-2015-text8style-100M.txt.gz was not found"
fi
[[ -f "$INPUT" ]] || die "INPUT '$INPUT' is not a file"
[[ "$INPUT" == *.gz ]] || die "INPUT must be a .gz file (got '$INPUT')"
INPUT=$(cd "$(dirname "$INPUT")" && pwd)/$(basename "$INPUT")

# ---------------------------------------------------------------- tools
if [[ ! -x /usr/bin/time ]]; then
  log "installing with apt: time"
  [[ $(id -u) == 0 ]] || die "need root to apt-get install time"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
fi

mkdir -p "$OUTDIR/logs" "$OUTDIR/bin"

# ---------------------------------------------------------------- gensim (shared venv, idempotent)
if has_any gsfile gsls gslsgz; then
  if ! "$VENV/bin/python" -c "import gensim, sys; sys.exit(gensim.__version__ != '$GENSIM_VERSION')" 2>/dev/null; then
    if [[ ! -x "$VENV/bin/python" ]]; then
      log "creating $VENV"
      if ! "$PYTHON" -m venv "$VENV" 2>/dev/null; then
        [[ $(id -u) == 0 ]] || die "'$PYTHON -m venv' failed; install python3-venv"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
        "$PYTHON" -m venv "$VENV"
      fi
    fi
    log "installing gensim==$GENSIM_VERSION into $VENV"
    "$VENV/bin/pip" install -q "gensim==$GENSIM_VERSION" || die "pip install gensim==$GENSIM_VERSION failed"
    "$VENV/bin/python" -c 'import gensim' || die "gensim installed but does not import"
  fi
fi

# ---------------------------------------------------------------- wordpipe
if has_any wp1gz wp2gz wp1 wp2 wpb1gz wpb2gz wpb1 wpb2; then
  WORDPIPE=${WORDPIPE:-$ROOT/.build/release/wordpipe}
  if [[ ! -x "$WORDPIPE" && -z "$USER_WORDPIPE" ]]; then
    command -v swift >/dev/null || die "no $WORDPIPE and swift not found: set WORDPIPE=path/to/wordpipe"
    log "building wordpipe (swift build -c release --product wordpipe)"
    (cd "$ROOT" && swift build -c release --product wordpipe) >&2 \
      || die "swift build -c release --product wordpipe failed in $ROOT"
  fi
  [[ -x "$WORDPIPE" ]] || die "WORDPIPE='$WORDPIPE' is not an executable file"
  WORDPIPE=$(cd "$(dirname "$WORDPIPE")" && pwd)/$(basename "$WORDPIPE")
  WP_ORIGIN="${WORDPIPE#"$ROOT/"} ($(date -u -r "$WORDPIPE" '+%Y-%m-%d %H:%M UTC'), sha256 $(sha256sum "$WORDPIPE" | cut -c1-12))"
  cp "$WORDPIPE" "$OUTDIR/bin/wordpipe"
  WP=$OUTDIR/bin/wordpipe
  log "wordpipe: $WP_ORIGIN, copied to $WP"
fi

# ---------------------------------------------------------------- input
PLAIN=$OUTDIR/$(basename "${INPUT%.gz}")
if [[ ! -s "$PLAIN" || "$INPUT" -nt "$PLAIN" ]]; then
  log "decompressing $INPUT to $PLAIN (not timed)"
  gzip -dc "$INPUT" > "$PLAIN.tmp" && mv "$PLAIN.tmp" "$PLAIN"
fi
GZ_BYTES=$(stat -c %s "$INPUT")
PLAIN_BYTES=$(stat -c %s "$PLAIN")
cat "$INPUT" "$PLAIN" > /dev/null   # warm the page cache for every system
log "input: $INPUT ($GZ_BYTES bytes), plain $PLAIN ($PLAIN_BYTES bytes)"

# ---------------------------------------------------------------- run
cmd_for() { # system output -> command array in CMD
  local wp_common=(vocab -o "$2" --min-count "$MIN_COUNT" --progress never)
  case $1 in
    wp1gz)  CMD=("$WP" "${wp_common[@]}" --threads 1 "$INPUT") ;;
    wp2gz)  CMD=("$WP" "${wp_common[@]}" --threads 2 "$INPUT") ;;
    wp1)    CMD=("$WP" "${wp_common[@]}" --threads 1 "$PLAIN") ;;
    wp2)    CMD=("$WP" "${wp_common[@]}" --threads 2 "$PLAIN") ;;
    wpb1gz) CMD=("$WP" "${wp_common[@]}" --threads 1 --max-types-in-memory "$MAX_TYPES" "$INPUT") ;;
    wpb2gz) CMD=("$WP" "${wp_common[@]}" --threads 2 --max-types-in-memory "$MAX_TYPES" "$INPUT") ;;
    wpb1)   CMD=("$WP" "${wp_common[@]}" --threads 1 --max-types-in-memory "$MAX_TYPES" "$PLAIN") ;;
    wpb2)   CMD=("$WP" "${wp_common[@]}" --threads 2 --max-types-in-memory "$MAX_TYPES" "$PLAIN") ;;
    gsfile) CMD=("${PEER[@]}" "$VENV/bin/python" "$HERE/gensim_vocab.py" corpus_file "$PLAIN" "$2" --min-count "$MIN_COUNT") ;;
    gsls)   CMD=("${PEER[@]}" "$VENV/bin/python" "$HERE/gensim_vocab.py" linesentence "$PLAIN" "$2" --min-count "$MIN_COUNT") ;;
    gslsgz) CMD=("${PEER[@]}" "$VENV/bin/python" "$HERE/gensim_vocab.py" linesentence "$INPUT" "$2" --min-count "$MIN_COUNT") ;;
  esac
}
short_cmd() { # human-readable command for the report
  case $1 in
    wp1gz)  echo "wordpipe vocab \$GZ -o OUT --min-count $MIN_COUNT --threads 1" ;;
    wp2gz)  echo "wordpipe vocab \$GZ -o OUT --min-count $MIN_COUNT --threads 2" ;;
    wp1)    echo "wordpipe vocab \$PLAIN -o OUT --min-count $MIN_COUNT --threads 1" ;;
    wp2)    echo "wordpipe vocab \$PLAIN -o OUT --min-count $MIN_COUNT --threads 2" ;;
    wpb1gz) echo "wordpipe vocab \$GZ -o OUT --min-count $MIN_COUNT --threads 1 --max-types-in-memory $MAX_TYPES" ;;
    wpb2gz) echo "wordpipe vocab \$GZ -o OUT --min-count $MIN_COUNT --threads 2 --max-types-in-memory $MAX_TYPES" ;;
    wpb1)   echo "wordpipe vocab \$PLAIN -o OUT --min-count $MIN_COUNT --threads 1 --max-types-in-memory $MAX_TYPES" ;;
    wpb2)   echo "wordpipe vocab \$PLAIN -o OUT --min-count $MIN_COUNT --threads 2 --max-types-in-memory $MAX_TYPES" ;;
    gsfile) echo "python gensim_vocab.py corpus_file \$PLAIN OUT  # Word2Vec(vector_size=100, min_count=$MIN_COUNT, workers=1).build_vocab(corpus_file=\$PLAIN)" ;;
    gsls)   echo "python gensim_vocab.py linesentence \$PLAIN OUT  # ....build_vocab(LineSentence(\$PLAIN))" ;;
    gslsgz) echo "python gensim_vocab.py linesentence \$GZ OUT  # ....build_vocab(LineSentence(\$GZ))" ;;
  esac
}

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
RESULTS=$OUTDIR/results.tsv
printf 'system\trep\tseconds\tmaxrss_kib\tstderr\n' > "$RESULTS"
# Round-robin over systems in each repetition, so machine noise spreads evenly.
for ((rep = 1; rep <= R; rep++)); do
  for s in $SYSTEMS; do
    out=$OUTDIR/$s.tsv
    errf=$OUTDIR/logs/$s.rep$rep.stderr
    timef=$OUTDIR/logs/$s.rep$rep.time
    rm -f "$out" "$out.json"
    cmd_for "$s" "$out"
    t0=$(date +%s%N)
    if ! /usr/bin/time -f '%M' -o "$timef" "${CMD[@]}" >/dev/null 2>"$errf"; then
      cat "$errf" >&2
      die "$s failed (rep $rep): ${CMD[*]}"
    fi
    t1=$(date +%s%N)
    [[ -s "$out" ]] || die "$s wrote no output to $out"
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
    rss=$(tail -n 1 "$timef")
    printf '%s\t%d\t%s\t%s\t%s\n' "$s" "$rep" "$secs" "$rss" "$errf" >> "$RESULTS"
    log "rep $rep/$R $s: ${secs}s, peak RSS ${rss} KiB | $(grep -v '^ *$' "$errf" | tail -n 1)"
  done
done

# ---------------------------------------------------------------- report
CMDLINE="R=$R${USER_INPUT:+ INPUT=$USER_INPUT}${USER_WORDPIPE:+ WORDPIPE=$USER_WORDPIPE}"
[[ "$USER_SYSTEMS" != "$ALL_SYSTEMS" ]] && CMDLINE+=" SYSTEMS=\"$SYSTEMS\""
[[ "$MIN_COUNT" != 5 ]] && CMDLINE+=" MIN_COUNT=$MIN_COUNT"
[[ "$MAX_TYPES" != 20000 ]] && CMDLINE+=" MAX_TYPES=$MAX_TYPES"
CMDLINE+=" Benchmarks/vocab/run.sh"
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
export RESULTS OUTDIR CMDLINE R LOAD_START LOAD_END MIN_COUNT MAX_TYPES GZ_BYTES PLAIN_BYTES
export INPUT_NAME=$(basename "$INPUT") WP_ORIGIN=${WP_ORIGIN:-}
export CPU=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
export NCPU=$(nproc)
export GENSIM_VER=$("$VENV/bin/python" -c 'import gensim; print(gensim.__version__)' 2>/dev/null || echo '?')
export PY_VER=$("$VENV/bin/python" -c 'import platform; print(platform.python_version())' 2>/dev/null || echo '?')
for s in $ALL_SYSTEMS; do export "CMD_$s=$(short_cmd "$s")"; done
set +e
"$PYTHON" - <<'EOF' | tee "$OUTDIR/report.md"
import csv, datetime, os, re, statistics, sys

E = os.environ
OUT = E["OUTDIR"]
rows = list(csv.DictReader(open(E["RESULTS"]), delimiter="\t"))
names = {
    "wp1gz": "wordpipe --threads 1", "wp2gz": "wordpipe --threads 2",
    "wp1": "wordpipe --threads 1", "wp2": "wordpipe --threads 2",
    "wpb1gz": f"wordpipe --threads 1 --max-types-in-memory {E['MAX_TYPES']}",
    "wpb2gz": f"wordpipe --threads 2 --max-types-in-memory {E['MAX_TYPES']}",
    "wpb1": f"wordpipe --threads 1 --max-types-in-memory {E['MAX_TYPES']}",
    "wpb2": f"wordpipe --threads 2 --max-types-in-memory {E['MAX_TYPES']}",
    "gsfile": "gensim build_vocab(corpus_file=)", "gsls": "gensim build_vocab(LineSentence)",
    "gslsgz": "gensim build_vocab(LineSentence)",
}
inputs = {s: (".gz" if s.endswith("gz") else "plain") for s in names}
inputs["gsfile"] = "plain"  # gensim's corpus_file refuses compressed files
exact_wp = ["wp1gz", "wp2gz", "wp1", "wp2"]
bounded = {"wpb1gz": "wp1gz", "wpb2gz": "wp2gz", "wpb1": "wp1", "wpb2": "wp2"}
gensims = ["gsfile", "gsls", "gslsgz"]

WP_RE = re.compile(r"vocab: (\d+) types seen, (\d+) kept, (\d+) tokens.*, ([\d.]+) s \(([\d.]+)([KMG]?) tokens/s\)\s*$")
GS_RE = re.compile(r"build_vocab_s=([\d.]+) corpus_total_words=(\d+) kept=(\d+) raw_types=(\d+) sentences=(\d+)")

def parse(s, path):
    text = open(path, encoding="utf-8", errors="replace").read()
    if s.startswith("wp"):
        m = None
        for line in text.splitlines():
            m = WP_RE.search(line) or m
        if not m:
            sys.exit(f"report: no wordpipe summary line in {path}")
        pruned = re.search(r"(\d+) types pruned", text)
        # wordpipe prints seconds with 2 decimals but the rate with 4 digits: inner = tokens / rate.
        rate = float(m[5]) * {"": 1, "K": 1e3, "M": 1e6, "G": 1e9}[m[6]]
        inner = int(m[3]) / rate if rate > 0 else float(m[4])
        return dict(inner=inner, seen=int(m[1]), kept=int(m[2]), tokens=int(m[3]),
                    pruned=int(pruned[1]) if pruned else 0)
    m = GS_RE.search(text)
    if not m:
        sys.exit(f"report: no gensim summary line in {path}")
    return dict(inner=float(m[1]), tokens=int(m[2]), kept=int(m[3]), seen=int(m[4]), pruned=0)

systems = list(dict.fromkeys(r["system"] for r in rows))
runs = {s: [] for s in systems}
for r in rows:
    d = parse(r["system"], r["stderr"])
    d.update(wall=float(r["seconds"]), rss=int(r["maxrss_kib"]))
    runs[r["system"]].append(d)
med_wall = {s: statistics.median(d["wall"] for d in runs[s]) for s in systems}
med_inner = {s: statistics.median(d["inner"] for d in runs[s]) for s in systems}
rss = {s: max(d["rss"] for d in runs[s]) for s in systems}
last = {s: runs[s][-1] for s in systems}
varying = [s for s in systems  # systems whose repetitions reported different counts
           if len({(d["tokens"], d["kept"], d["seen"]) for d in runs[s]}) != 1]
for s in varying:
    print(f"report: note: {s} reported different counts across repetitions", file=sys.stderr)

def read_vocab(s):
    out = []
    with open(os.path.join(OUT, s + ".tsv"), encoding="utf-8") as f:
        for line in f:
            w, c = line.rstrip("\n").split("\t")
            out.append((w, int(c)))
    return out
vocab = {s: read_vocab(s) for s in systems}
for s in systems:
    if len(vocab[s]) != last[s]["kept"]:
        print(f"report: WARNING: {s}: {len(vocab[s])} lines in OUT but {last[s]['kept']} kept reported")

def kept_cell(s):
    ks = [d["kept"] for d in runs[s]]
    return f"{ks[-1]:,}" if min(ks) == max(ks) else f"{ks[-1]:,} ({min(ks):,}-{max(ks):,})"
def fmt_s(x): return f"{x:.2f}" if x >= 1 else f"{x:.3f}"
def mib(k): return f"{k / 1024:,.0f}"

tokens_ref = next((last[s]["tokens"] for s in systems), 0)
print(f"### Vocabulary benchmark ({datetime.date.today().isoformat()})")
print()
print(f"Input: `{E['INPUT_NAME']}` ({int(E['GZ_BYTES']) / 1e6:.1f} MB gzip; {int(E['PLAIN_BYTES']) / 1e6:.1f} MB "
      f"decompressed once, untimed, to a plain file), one line of {tokens_ref:,} words; --min-count {E['MIN_COUNT']}. "
      f"Machine: {E['NCPU']} cores ({E['CPU']}), shared/noisy. Median of {E['R']} runs, systems alternated in each "
      f"repetition; load average {E['LOAD_START']} at the start, {E['LOAD_END']} at the end. Wall = the whole command; inner = wordpipe's own summary time / gensim's `build_vocab` alone "
      f"(perf_counter); M tokens/s = tokens / inner. gensim {E['GENSIM_VER']} on Python {E['PY_VER']}, "
      f"`Word2Vec(vector_size=100, min_count={E['MIN_COUNT']}, workers=1)`"
      + (f"; wordpipe binary {E['WP_ORIGIN']}" if E.get("WP_ORIGIN") else "")
      + ".")
print()
print(f"Command: `{E['CMDLINE']}`")
print()
print("| System | Input | Median wall s | Median inner s | M tokens/s (inner) | Types kept | Tokens | Peak RSS MiB |")
print("|---|---|---:|---:|---:|---:|---:|---:|")
for s in systems:
    d = last[s]
    print(f"| {names[s]} | {inputs[s]} | {fmt_s(med_wall[s])} | {fmt_s(med_inner[s])} | "
          f"{d['tokens'] / med_inner[s] / 1e6:.2f} | {kept_cell(s)} | {d['tokens']:,} | {mib(rss[s])} |")
print()

wps = [s for s in exact_wp if s in systems]
gss = [s for s in gensims if s in systems]
if wps and gss:
    hdr = [f"{names[g]} ({inputs[g]})" for g in gss]
    for label, med in (("inner time", med_inner), ("whole-command wall time", med_wall)):
        print(f"Speed of wordpipe over gensim, tokens/s by {label} (target >= 5x):")
        print()
        print("| wordpipe | " + " | ".join(hdr) + " |")
        print("|---|" + "---:|" * len(gss))
        for w in wps:
            cells = []
            for g in gss:
                x = (last[w]["tokens"] / med[w]) / (last[g]["tokens"] / med[g])
                cells.append(f"{x:.1f}x")
            print(f"| {names[w]} ({inputs[w]}) | " + " | ".join(cells) + " |")
        print()

# ---- agreement with gensim
ok = True
notes = []
ref = gss[0] if gss else None
for g in gss:
    if (last[g]["tokens"], last[g]["kept"], vocab[g]) != (last[ref]["tokens"], last[ref]["kept"], vocab[ref]):
        notes.append(f"gensim modes disagree: {g} vs {ref}.")
        ok = False
if ref:
    gv = vocab[ref]
    g = last[ref]
    notes.append(f"gensim: corpus_total_words {g['tokens']:,}, len(wv) {g['kept']:,}, raw types {g['seen']:,}.")
    for w in wps:
        d = last[w]
        t_ok = d["tokens"] == g["tokens"]
        k_ok = d["kept"] == g["kept"] == len(vocab[w])
        top_ok = vocab[w][:20] == gv[:20]
        same = vocab[w] == gv
        ok &= t_ok and k_ok and top_ok
        notes.append(f"{names[w]} ({inputs[w]}): tokens {d['tokens']:,} {'=' if t_ok else '!='} gensim, "
                     f"kept types (lines of OUT) {len(vocab[w]):,} {'=' if k_ok else '!='} len(wv), "
                     f"types seen {d['seen']:,}; top-20 counts {'match exactly' if top_ok else 'DIFFER'}; "
                     f"whole vocabulary (all words and counts) {'identical' if same else 'differs'}.")
print("Agreement with gensim: " + ("all checks pass." if ok and ref else "MISMATCH." if ref else "no gensim run."))
print()
for n in notes:
    print(f"- {n}")
if ref:
    print()
    print("Top 20 (gensim `get_vecattr(w, \"count\")`): " + ", ".join(f"{w} {c:,}" for w, c in vocab[ref][:20]) + ".")
print()

# ---- bounded memory
bs = [b for b in bounded if b in systems]
if bs:
    print(f"Bounded memory (--max-types-in-memory {E['MAX_TYPES']}) against the exact run on the same input and threads "
          "(top-1000 columns: the last repetition's outputs, same word at the same rank / also the same count; "
          "types kept: last repetition, with the range over all repetitions when it varied):")
    print()
    print("| System | Input | Median wall s | Peak RSS MiB | Exact run's RSS MiB | Types kept | Types pruned | Top 1000: same word and rank | Top 1000: exact counts |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for b in bs:
        e = bounded[b]
        d = last[b]
        if e in systems:
            ev = vocab[e][:1000]
            bv = vocab[b][:1000]
            same_w = sum(1 for i in range(min(len(ev), len(bv))) if ev[i][0] == bv[i][0])
            exact = sum(1 for i in range(min(len(ev), len(bv))) if ev[i] == bv[i])
            e_rss, sw, ex = mib(rss[e]), f"{same_w:,}", f"{exact:,}"
        else:
            e_rss = sw = ex = "-"
        print(f"| {names[b]} | {inputs[b]} | {fmt_s(med_wall[b])} | {mib(rss[b])} | {e_rss} | {kept_cell(b)} | "
              f"{d['pruned']:,} | {sw} | {ex} |")
    print()
    vb = [b for b in bs if b in varying]
    if vb:
        print("Not reproducible: " + ", ".join(f"{names[b]} ({inputs[b]})" for b in vb) +
              " gave different counts from one repetition to the next (the exact mode's output never varied).")
        print()

print("Commands ($GZ = the input, $PLAIN = its decompressed copy, OUT = output file):")
print()
for s in systems:
    print(f"- {names[s]} ({inputs[s]}): `{E['CMD_' + s]}`")
sys.exit(0 if ok else 1)
EOF
status=${PIPESTATUS[0]}
exit "$status"
