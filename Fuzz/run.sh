#!/usr/bin/env bash
# Fuzz/run.sh [SECONDS] [TARGET...] - build the libFuzzer targets and run each for SECONDS
# (default 60), one after the other. Without TARGETs, all of them (Fuzz/Package.swift lists them).
#
#   Fuzz/run.sh 20                     # the CI smoke run: every target for 20 s
#   Fuzz/run.sh 300 FuzzHTML FuzzXML   # two targets for 5 minutes each
#
# LeakSanitizer is off (libFuzzer's -detect_leaks and ASan's at exit): Foundation leaks a 4 KiB
# buffer for every empty file read with Data(contentsOf:), which is not WordPipe's to fix.
# Exits non-zero when a target crashes, hangs (an input over 10 s), runs out of memory
# (over FUZZ_RSS_MB, default 2048) or does not run. Per target, under Fuzz/work/ (gitignored):
#   corpus/T/     the growing corpus (kept between runs)
#   seeds/T/      seeds: real files from ../shared/data, and small files written by WordPipe itself
#   artifacts/T/  crash-*, timeout-*, oom-* reproducers
#   logs/T.log    libFuzzer's output
# Environment: FUZZ_SKIP_BUILD=1 (use the last build), FUZZ_RSS_MB, FUZZ_FLAGS (more libFuzzer
# flags), WORDPIPE_SHARED_DATA (default ../shared/data beside the repository).
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
seconds="${1:-60}"
shift || true
work="$here/work"
build="$root/.build-fuzz"
shared="${WORDPIPE_SHARED_DATA:-$(dirname "$root")/shared/data}"
export WORDPIPE_SHARED_DATA="$shared"
export ASAN_OPTIONS="detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"

all=$(sed -n 's/^ *("\(Fuzz[A-Za-z0-9]*\)", \[.*/\1/p' "$here/Package.swift")
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then read -r -a targets <<< "$(echo $all)"; fi
for target in "${targets[@]}"; do
    if ! grep -qx "$target" <<< "$all"; then echo "run.sh: unknown target '$target'; targets: $(echo $all)" >&2; exit 2; fi
done

if [ "${FUZZ_SKIP_BUILD:-0}" != 1 ]; then
    echo "== building the fuzz targets (release, -sanitize=fuzzer,address) into .build-fuzz"
    swift build -c release --package-path "$here" --scratch-path "$build" \
        -Xswiftc -sanitize=fuzzer,address -Xswiftc -enable-testing 2>&1 | tail -5
    [ "${PIPESTATUS[0]}" -eq 0 ] || { echo "run.sh: the fuzz build failed" >&2; exit 1; }
fi
bin="$build/release"

# Copies the first LINES lines (at most 16 KiB) of a shared-data file into the seed folder.
seed_head() {  # RELATIVE LINES NAME
    if [ -f "$shared/$1" ]; then head -n "$2" "$shared/$1" | head -c 16384 > "$seeds/$3"; return 0; fi
    echo "   (seed skipped: $shared/$1 is absent)"
    return 1
}

# Writes the seeds of one target into $seeds.
make_seeds() {  # TARGET
    case "$1" in
    FuzzVectors*|FuzzVocabulary|FuzzEncodedCorpus|FuzzCheckpoint|FuzzModelFile)
        # Files written by WordPipe's own writers.
        WORDPIPE_FUZZ_MAKE_SEEDS="$seeds" "$bin/$1" > /dev/null 2>&1 || echo "   (making WordPipe-written seeds failed)";;
    esac
    case "$1" in
    FuzzVocabulary)
        # A real vocabulary: the 300 most frequent Penn Treebank words, in both formats.
        if [ -f "$shared/lm/ptb/ptb.valid.txt" ]; then
            tr ' ' '\n' < "$shared/lm/ptb/ptb.valid.txt" | grep -v '^$' | sort | uniq -c | sort -k1,1nr -k2 | head -300 \
                | awk '{print $2 "\t" $1}' > "$seeds/ptb.tsv"
            tr '\t' ' ' < "$seeds/ptb.tsv" > "$seeds/ptb.word2vec.txt"
        else echo "   (seed skipped: $shared/lm/ptb/ptb.valid.txt is absent)"; fi;;
    FuzzVectorsGloVe|FuzzVectorsWord2VecText|FuzzVectorsFastText) ;;
    FuzzCoNLL)
        seed_head ner/conll2003/train.txt 120 conll2003-train.txt
        seed_head ner/conll2003/valid.txt 60 conll2003-valid.txt;;
    FuzzCoNLLU)
        seed_head pos/UD_English-EWT/en_ewt-ud-train.conllu 120 en_ewt.conllu
        seed_head pos/UD_French-Sequoia/fr_sequoia-ud-dev.conllu 120 fr_sequoia.conllu;;
    FuzzTSV)
        seed_head classification/sst2/train.tsv 60 sst2-train.tsv
        seed_head classification/sst2/dev.tsv 30 sst2-dev.tsv;;
    FuzzFastTextLabels)
        # fastText's `__label__X text` form of real labelled sets.
        if seed_head classification/sst2/dev.tsv 40 sst2.tsv; then
            tail -n +2 "$seeds/sst2.tsv" | awk -F'\t' '{print "__label__" $2 " " $1}' > "$seeds/sst2.fasttext.txt"
            rm "$seeds/sst2.tsv"
        fi
        if seed_head classification/trec/train.txt 40 trec.txt; then
            sed 's/^\([A-Z]*\):\([a-z]*\) /__label__\1 __label__\1:\2 /' "$seeds/trec.txt" > "$seeds/trec.fasttext.txt"
            rm "$seeds/trec.txt"
        fi;;
    FuzzWikiExtractor)
        seed_head corpora/enwiki-2015/AA/wiki_00 40 wiki_00
        seed_head corpora/enwiki-2015/AA/wiki_01 40 wiki_01;;
    FuzzMediaWiki)
        # The first page of each dump, closed again; and the UTF-16 dump's first bytes.
        for file in enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.xml enwiki-table-markup.xml; do
            if [ -f "$shared/corpora/xml/mediawiki/$file" ]; then
                { sed -n '1,/<\/page>/p' "$shared/corpora/xml/mediawiki/$file" | head -c 16000; echo '</mediawiki>'; } > "$seeds/${file%%-*}-${file##*-}"
            else echo "   (seed skipped: $shared/corpora/xml/mediawiki/$file is absent)"; fi
        done
        if [ -f "$shared/corpora/xml/mediawiki/bgwiki-latest-pages-articles-shortened.xml" ]; then
            head -c 8192 "$shared/corpora/xml/mediawiki/bgwiki-latest-pages-articles-shortened.xml" > "$seeds/bgwiki-utf16.xml"
        fi;;
    FuzzXML)
        seed_head corpora/xml/tei/ENG18400_Trollope.xml 150 trollope.xml
        seed_head corpora/xml/tei/FRA00101_Adam.xml 150 adam.xml;;
    FuzzHTML)
        seed_head corpora/html/python3.11-doc/appetite.html 400 appetite.html
        seed_head corpora/html/python3.11-doc/whatnow.html 400 whatnow.html;;
    FuzzJSONL)
        # JSON Lines made from real sentences (the reader's default field, `text`).
        if seed_head lm/ptb/ptb.valid.txt 30 ptb.txt; then
            sed 's/\\/\\\\/g; s/"/\\"/g; s/^\(.*\)$/{"text": "\1", "id": 1}/' "$seeds/ptb.txt" > "$seeds/ptb.jsonl"
            rm "$seeds/ptb.txt"
        fi
        seed_head multilingual/ja_gsd_dev_text.txt 10 ja.txt && {
            sed 's/\\/\\\\/g; s/"/\\"/g; s/^\(.*\)$/{"text": ["\1", "二"]}/' "$seeds/ja.txt" > "$seeds/ja.jsonl"; rm "$seeds/ja.txt"; };;
    FuzzPipelineYAML)
        cp "$root"/corpora/*.yaml "$seeds/" 2>/dev/null;;
    esac
    if [ ! -d "$shared" ]; then echo "   ($shared is absent: real-file seeds skipped)"; fi
}

status=0
summary=()
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
echo "== $(date -u '+%Y-%m-%d %H:%M UTC'), $cpu, ${seconds} s per target"
for target in "${targets[@]}"; do
    seeds="$work/seeds/$target"
    corpus="$work/corpus/$target"
    artifacts="$work/artifacts/$target"
    log="$work/logs/$target.log"
    rm -rf "$seeds"
    mkdir -p "$seeds" "$corpus" "$artifacts" "$work/logs"
    echo "== $target"
    make_seeds "$target"
    seedcount=$(find "$seeds" -type f | wc -l)
    scratch=$(mktemp -d "${TMPDIR:-/tmp}/wordpipe-fuzz.XXXXXX")
    [ -d /dev/shm ] && { rmdir "$scratch"; scratch=$(mktemp -d /dev/shm/wordpipe-fuzz.XXXXXX); }
    # SWIFT_BACKTRACE off: Swift's crash handler reads memory ASan then reports as its own error,
    # hiding the trap; libFuzzer prints the stack itself.
    SWIFT_BACKTRACE=enable=no WORDPIPE_FUZZ_TMP="$scratch" "$bin/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb="${FUZZ_RSS_MB:-2048}" \
        -detect_leaks=0 -print_final_stats=1 -artifact_prefix="$artifacts/" ${FUZZ_FLAGS:-} "$corpus" "$seeds" > "$log" 2>&1
    code=$?
    rm -rf "$scratch"
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -1)
    corpussize=$(find "$corpus" -type f | wc -l)
    if [ "$code" -eq 0 ] && [ -n "$runs" ]; then
        line="$target: ok, ${runs} runs in ${seconds} s (${rate}/s), ${seedcount} seeds, corpus ${corpussize}, peak RSS ${rss} MB"
    else
        status=1
        what=$(grep -m1 -E '^==[0-9]+==ERROR|deadly signal|Fatal error|ALARM|out-of-memory|Test unit written' "$log")
        line="$target: FAILED (exit $code): ${what:-see $log}; ${runs:-?} runs; reproducer in $artifacts/"
        grep -m1 'Test unit written' "$log" >&2
    fi
    echo "   $line"
    summary+=("$line")
done
echo "== summary"
printf '%s\n' "${summary[@]}"
exit $status
