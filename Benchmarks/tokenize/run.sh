#!/usr/bin/env bash
# WordPipe tokenization benchmark: C+ICU floor vs PyICU vs wordpipe (1 and 2 threads).
#
# Usage: Benchmarks/tokenize/run.sh
# Environment (all optional):
#   R=3                 repetitions per system (median is reported)
#   INPUT=dir           WikiExtractor directory (default: the enwiki-2015 AA shard)
#   FILES=N             use only the first N files (sorted by name) of INPUT
#   WORDPIPE=path       use this wordpipe binary instead of `swift build -c release`
#   SYSTEMS="c pyicu wordpipe1 wordpipe2"   which systems to run (default: all four)
#   OUTDIR=dir          outputs, logs and report (default: Benchmarks/tokenize/out)
#   PYTHON=python3      interpreter used to create the venv and write the report
# Every system is timed wall-clock around the whole command, peak RSS via /usr/bin/time %M.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
R=${R:-3}
INPUT=${INPUT:-}
USER_INPUT=$INPUT
USER_WORDPIPE=${WORDPIPE:-}
FILES=${FILES:-}
SYSTEMS=${SYSTEMS:-c pyicu wordpipe1 wordpipe2}
OUTDIR=${OUTDIR:-$HERE/out}
PYTHON=${PYTHON:-python3}
VENV=$ROOT/Benchmarks/.venv
BUILD=$HERE/build

die() { echo "run.sh: error: $*" >&2; exit 1; }
log() { echo "== $*" >&2; }
has() { [[ " $SYSTEMS " == *" $1 "* ]]; }

[[ "$R" =~ ^[1-9][0-9]*$ ]] || die "R must be a positive integer (got '$R')"
[[ -z "$FILES" || "$FILES" =~ ^[1-9][0-9]*$ ]] || die "FILES must be a positive integer (got '$FILES')"
for s in $SYSTEMS; do
  case $s in c|pyicu|wordpipe1|wordpipe2) ;; *) die "unknown system '$s' in SYSTEMS" ;; esac
done

if [[ -z "$INPUT" ]]; then
  for d in "$ROOT/../shared/data/corpora/enwiki-2015/AA" /work/shared/data/corpora/enwiki-2015/AA; do
    if [[ -d "$d" ]]; then INPUT=$(cd "$d" && pwd); break; fi
  done
  [[ -n "$INPUT" ]] || die "no INPUT given and the default enwiki-2015/AA shard was not found"
fi
[[ -d "$INPUT" ]] || die "INPUT '$INPUT' is not a directory"

# ---------------------------------------------------------------- tools
need_pkgs=()
[[ -x /usr/bin/time ]] || need_pkgs+=(time)
if has c || has pyicu; then
  command -v cc >/dev/null || need_pkgs+=(gcc)
  command -v pkg-config >/dev/null || need_pkgs+=(pkg-config)
  if ! pkg-config --exists icu-uc icu-i18n 2>/dev/null; then need_pkgs+=(libicu-dev); fi
fi
if has pyicu; then
  command -v g++ >/dev/null || need_pkgs+=(g++)
fi
if ((${#need_pkgs[@]})); then
  log "installing with apt: ${need_pkgs[*]}"
  [[ $(id -u) == 0 ]] || die "need root to apt-get install ${need_pkgs[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi

mkdir -p "$OUTDIR/logs"

# ---------------------------------------------------------------- input
# The file list is every regular file directly in INPUT, sorted by name.
mapfile -t ALL_FILES < <(find "$INPUT" -maxdepth 1 -type f -printf '%f\n' | LC_ALL=C sort)
((${#ALL_FILES[@]})) || die "no files in $INPUT"
if find "$INPUT" -mindepth 2 -type f -print -quit | grep -q .; then
  log "warning: $INPUT has subdirectories; only its top-level files are used by the C/PyICU peers"
fi
DATA=$INPUT
if [[ -n "$FILES" && "$FILES" -lt "${#ALL_FILES[@]}" ]]; then
  # wordpipe takes a directory: give every system the same copy of the subset.
  DATA=$OUTDIR/input-first$FILES
  rm -rf "$DATA"; mkdir -p "$DATA"
  for f in "${ALL_FILES[@]:0:$FILES}"; do cp "$INPUT/$f" "$DATA/"; done
  ALL_FILES=("${ALL_FILES[@]:0:$FILES}")
fi
IN_FILES=()
for f in "${ALL_FILES[@]}"; do IN_FILES+=("$DATA/$f"); done
IN_BYTES=$(cat "${IN_FILES[@]}" | wc -c)   # also warms the page cache for every system
log "input: $DATA (${#IN_FILES[@]} files, $IN_BYTES bytes)"

# ---------------------------------------------------------------- build the peers
CFLOOR=$BUILD/icu_floor
if has c; then
  mkdir -p "$BUILD"
  if [[ ! -x "$CFLOOR" || "$HERE/icu_floor.c" -nt "$CFLOOR" ]]; then
    log "building the C floor"
    # shellcheck disable=SC2046
    cc -O2 -o "$CFLOOR" "$HERE/icu_floor.c" $(pkg-config --cflags --libs icu-uc icu-i18n)
  fi
fi

if has pyicu; then
  if ! "$VENV/bin/python" -c 'import icu' 2>/dev/null; then
    log "creating $VENV and installing PyICU (builds against the system ICU)"
    if ! "$PYTHON" -m venv "$VENV" 2>/dev/null; then
      [[ $(id -u) == 0 ]] || die "'$PYTHON -m venv' failed; install python3-venv"
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
      "$PYTHON" -m venv "$VENV"
    fi
    "$VENV/bin/pip" install -q pyicu || die "pip install pyicu failed (needs pkg-config, g++, libicu-dev)"
    "$VENV/bin/python" -c 'import icu' || die "PyICU installed but does not import"
  fi
fi

# ---------------------------------------------------------------- wordpipe
if has wordpipe1 || has wordpipe2; then
  if [[ -n "${WORDPIPE:-}" ]]; then
    [[ -x "$WORDPIPE" ]] || die "WORDPIPE='$WORDPIPE' is not an executable file"
  else
    command -v swift >/dev/null || die "swift not found: install the toolchain or set WORDPIPE=path/to/wordpipe (or SYSTEMS='c pyicu')"
    log "building wordpipe (swift build -c release --product wordpipe)"
    (cd "$ROOT" && swift build -c release --product wordpipe) >&2 \
      || die "swift build -c release --product wordpipe failed in $ROOT"
    WORDPIPE=$(cd "$ROOT" && swift build -c release --show-bin-path)/wordpipe
    [[ -x "$WORDPIPE" ]] || die "wordpipe binary missing after the build: $WORDPIPE"
  fi
  WORDPIPE=$(cd "$(dirname "$WORDPIPE")" && pwd)/$(basename "$WORDPIPE")
  log "wordpipe: $WORDPIPE"
fi

# ---------------------------------------------------------------- run
cmd_for() { # system output -> command array in CMD
  case $1 in
    c)         CMD=("$CFLOOR" "$2" "${IN_FILES[@]}") ;;
    pyicu)     CMD=("$VENV/bin/python" "$HERE/pyicu_tokenize.py" "$2" "${IN_FILES[@]}") ;;
    wordpipe1) CMD=("$WORDPIPE" tokenize "$DATA" --format wikiextractor --normalize nfkc-casefold --threads 1 -o "$2") ;;
    wordpipe2) CMD=("$WORDPIPE" tokenize "$DATA" --format wikiextractor --normalize nfkc-casefold --threads 2 -o "$2") ;;
  esac
}
short_cmd() { # human-readable command for the report
  case $1 in
    c)         echo "icu_floor OUT \$INPUT/*" ;;
    pyicu)     echo "python pyicu_tokenize.py OUT \$INPUT/*" ;;
    wordpipe1) echo "wordpipe tokenize \$INPUT --format wikiextractor --normalize nfkc-casefold --threads 1 -o OUT" ;;
    wordpipe2) echo "wordpipe tokenize \$INPUT --format wikiextractor --normalize nfkc-casefold --threads 2 -o OUT" ;;
  esac
}

RESULTS=$OUTDIR/results.tsv
printf 'system\trep\tseconds\tmaxrss_kib\n' > "$RESULTS"
# Round-robin over systems in each repetition, so machine noise spreads evenly.
for ((rep = 1; rep <= R; rep++)); do
  for s in $SYSTEMS; do
    out=$OUTDIR/$s.txt
    errf=$OUTDIR/logs/$s.rep$rep.stderr
    timef=$OUTDIR/logs/$s.rep$rep.time
    rm -f "$out"
    cmd_for "$s" "$out"
    t0=$(date +%s%N)
    if ! /usr/bin/time -f '%M' -o "$timef" "${CMD[@]}" 2>"$errf"; then
      cat "$errf" >&2
      die "$s failed (rep $rep): ${CMD[*]:0:4} ..."
    fi
    t1=$(date +%s%N)
    [[ -s "$out" ]] || die "$s wrote no output to $out"
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
    rss=$(tail -n 1 "$timef")
    printf '%s\t%d\t%s\t%s\n' "$s" "$rep" "$secs" "$rss" >> "$RESULTS"
    log "rep $rep/$R $s: ${secs}s, peak RSS ${rss} KiB | $(tail -n 1 "$errf")"
  done
done

# ---------------------------------------------------------------- token counts and checks
COUNTS=$OUTDIR/counts.tsv
printf 'system\ttokens\tlines\n' > "$COUNTS"
for s in $SYSTEMS; do
  read -r lines words _ < <(wc -lw < "$OUTDIR/$s.txt")
  printf '%s\t%s\t%s\n' "$s" "$words" "$lines" >> "$COUNTS"
done
CHECK=""
if has c && has pyicu; then
  if cmp -s "$OUTDIR/c.txt" "$OUTDIR/pyicu.txt"; then
    CHECK="C floor and PyICU outputs are byte-identical."
  else
    CHECK="MISMATCH: C floor and PyICU outputs differ (first difference: $(cmp "$OUTDIR/c.txt" "$OUTDIR/pyicu.txt" 2>&1 | head -n 1))."
  fi
fi

# ---------------------------------------------------------------- report
CMDLINE="R=$R${FILES:+ FILES=$FILES}${USER_INPUT:+ INPUT=$USER_INPUT}${USER_WORDPIPE:+ WORDPIPE=$USER_WORDPIPE} SYSTEMS=\"$SYSTEMS\" Benchmarks/tokenize/run.sh"
export RESULTS COUNTS IN_BYTES CHECK CMDLINE R
export N_FILES=${#IN_FILES[@]}
export CPU=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
export NCPU=$(nproc)
export ICU_VER=$(pkg-config --modversion icu-uc 2>/dev/null || echo '?')
export CMD_c=$(short_cmd c) CMD_pyicu=$(short_cmd pyicu) CMD_wordpipe1=$(short_cmd wordpipe1) CMD_wordpipe2=$(short_cmd wordpipe2)
"$PYTHON" - <<'EOF' | tee "$OUTDIR/report.md"
import csv, datetime, os, statistics

E = os.environ
rows = list(csv.DictReader(open(E["RESULTS"]), delimiter="\t"))
counts = {r["system"]: int(r["tokens"]) for r in csv.DictReader(open(E["COUNTS"]), delimiter="\t")}
nbytes = int(E["IN_BYTES"])
names = {"c": "C + ICU floor (1 thread)", "pyicu": "PyICU (1 thread)",
         "wordpipe1": "wordpipe --threads 1", "wordpipe2": "wordpipe --threads 2"}
systems = list(dict.fromkeys(r["system"] for r in rows))
med, rss = {}, {}
for s in systems:
    med[s] = statistics.median(float(r["seconds"]) for r in rows if r["system"] == s)
    rss[s] = max(int(r["maxrss_kib"]) for r in rows if r["system"] == s)

print(f"### Tokenization benchmark ({datetime.date.today().isoformat()})")
print()
print(f"Input: {E['N_FILES']} WikiExtractor files, {nbytes / 1e6:.1f} MB; "
      f"NFKC_Casefold + ICU {E['ICU_VER']} sentence/word BreakIterator (root locale). "
      f"Machine: {E['NCPU']} cores ({E['CPU']}), shared/noisy. Median of {E['R']} runs, "
      f"wall-clock of the whole command; MB = 10^6 bytes of input; tokens = `wc -w` of the output.")
print()
print(f"Command: `{E['CMDLINE']}`")
print()
print("| System | Median s | MB/s | Tokens | M tokens/s | Peak RSS MiB |")
print("|---|---:|---:|---:|---:|---:|")
for s in systems:
    secs = f"{med[s]:.2f}" if med[s] >= 1 else f"{med[s]:.3f}"
    print(f"| {names[s]} | {secs} | {nbytes / 1e6 / med[s]:.1f} | {counts[s]:,} | "
          f"{counts[s] / med[s] / 1e6:.2f} | {rss[s] / 1024:.0f} |")
print()
ratios = [("wordpipe1", "c", "wordpipe 1 thread / C floor"),
          ("wordpipe1", "pyicu", "wordpipe 1 thread / PyICU"),
          ("c", "pyicu", "C floor / PyICU"),
          ("wordpipe2", "wordpipe1", "wordpipe 2 threads / wordpipe 1 thread")]
shown = [(a, b, label) for a, b, label in ratios if a in med and b in med]
if shown:
    print("| Ratio (median time) | Time ratio | Speed |")
    print("|---|---:|---|")
    for a, b, label in shown:
        t = med[a] / med[b]
        speed = f"{1 / t:.2f}x faster" if t < 1 else f"{t:.2f}x slower"
        print(f"| {label} | {t:.2f} | {speed} |")
    print()
print("Token counts: " + ", ".join(f"{names[s]} {counts[s]:,}" for s in systems) + ".")
print()
print("Commands (OUT = output file, $INPUT = the input directory):")
print()
for s in systems:
    print(f"- {names[s]}: `{E['CMD_' + s]}`")
print()
if "c" in counts:
    for s in ("wordpipe1", "wordpipe2"):
        if s in counts and counts[s] != counts["c"]:
            d = counts[s] - counts["c"]
            print(f"{names[s]} differs from the C floor by {d:+,} tokens ({d / counts['c'] * 100:+.3f}%; "
                  "wordpipe keeps URLs/e-mails whole).")
if E.get("CHECK"):
    print(E["CHECK"])
EOF

if [[ "$CHECK" == MISMATCH* ]]; then exit 1; fi
