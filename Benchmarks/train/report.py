"""Markdown report of Benchmarks/train/run.sh (reads its environment and OUTDIR; no gensim needed).

Exit status 1 when a correctness check fails (wordpipe evaluate disagrees with gensim, gensim
cannot read a file, nearest neighbours differ); missed speed/quality targets are reported, not fatal.
"""
import csv
import datetime
import json
import os
import re
import statistics
import sys

E = os.environ
OUT = E["OUTDIR"]
EPOCHS = int(E["EPOCHS"])
WORDS = int(E["CORPUS_WORDS"])
LINES = int(E["CORPUS_LINES"])
TOTAL = WORDS * EPOCHS  # the numerator of every words/s figure

NAMES = {"wp": "wordpipe (batched, default)", "wpnb": "wordpipe --no-batched",
         "gs": f"gensim {E.get('GENSIM_VER', '?')}", "ft": f"fastText {E.get('FT_VER') or '?'}",
         "wptxt": "wordpipe (batched), --format word2vec-text"}
def family(s): return s.rstrip("0123456789")
def threads(s): return int(s[-1]) if s[-1].isdigit() else 1
def name(s): return NAMES[family(s)]

SUFFIX = {"": 1, "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9}
WP_VOCAB = re.compile(r"vocabulary: (\d+) types seen, (\d+) kept, (\d+) tokens")
WP_TRAIN = re.compile(r"(\d+) words in ([\d.]+) s: ([\d.]+)([kKMG]?) words/s")
GS_RE = re.compile(r"build_vocab_s=([\d.]+) train_s=([\d.]+) save_s=([\d.]+) corpus_total_words=(\d+) kept=(\d+)")
FT_WST = re.compile(r"words/sec/thread:\s*(\d+)")
FT_NW = re.compile(r"Number of words:\s*(\d+)")


def parse(s, path):
    text = open(path, encoding="utf-8", errors="replace").read().replace("\r", "\n")
    f = family(s)
    if f.startswith("wp"):
        v, t = WP_VOCAB.search(text), None
        for m in WP_TRAIN.finditer(text):
            t = m
        if not (v and t):
            sys.exit(f"report: no wordpipe vocabulary/summary line in {path}")
        shown, rate = float(t[2]), float(t[3]) * SUFFIX[t[4]]
        # The summary prints seconds with 1 decimal and the rate with 3-4 digits: use the finer one.
        train = shown if shown >= 20 or rate <= 0 else int(t[1]) / rate
        return dict(train=train, kept=int(v[2]), tokens=int(v[3]), vocab_note=f"{int(v[2]):,} kept of {int(v[1]):,} types, {int(v[3]):,} tokens")
    if f == "gs":
        m = GS_RE.search(text)
        if not m:
            sys.exit(f"report: no gensim summary line in {path}")
        return dict(train=float(m[2]), build_vocab=float(m[1]), kept=int(m[5]), tokens=int(m[4]),
                    vocab_note=f"{int(m[5]):,} kept, corpus_total_words {int(m[4]):,}, build_vocab {float(m[1]):.1f} s")
    if f == "ft":
        w, n = FT_WST.findall(text), FT_NW.search(text)
        if not (w and n):
            sys.exit(f"report: no fastText words/sec/thread or 'Number of words' in {path}")
        wst = int(w[-1])
        # fastText counts one </s> per line as a token; its final rate is tokens / training time / threads.
        train = (WORDS + LINES) * EPOCHS / (wst * threads(s))
        return dict(train=train, wst=wst, kept=int(n[1]), tokens=None,
                    vocab_note=f"{int(n[1]):,} words in its dictionary (incl. </s>)")
    raise ValueError(s)


rows = list(csv.DictReader(open(E["RESULTS"]), delimiter="\t"))
quality = {}
for line in open(os.path.join(OUT, "eval", "gensim.jsonl")):
    q = json.loads(line)
    quality[q["file"]] = q
runs = {}
for r in rows:
    d = parse(r["system"], r["stderr"])
    d.update(wall=float(r["seconds"]), rss=int(r["maxrss_kib"]), file=r["vectors"], rep=int(r["rep"]))
    q = quality.get(r["vectors"])
    if q is None:
        sys.exit(f"report: no gensim scores for {r['vectors']}")
    d.update(acc=q["analogy_accuracy"] * 100, questions=q["analogy_questions"], correct=q["analogy_correct"],
             rho=q["pairs_spearman"], rho30k=q["pairs_spearman_30k"], nwords=q["words"], dim=q["dim"],
             load=(f"{r['load1_start']}-{r['load1_end']}" if r.get("load1_start") else None))
    runs.setdefault(r["system"], []).append(d)
timed = [s for s in runs if s != "wptxt"]
med = {s: {k: statistics.median(d[k] for d in runs[s]) for k in ("train", "wall", "acc", "rho")} for s in runs}
rss = {s: max(d["rss"] for d in runs[s]) for s in runs}
def wps(s): return TOTAL / med[s]["train"]
def wpt(s): return wps(s) / threads(s)
def rng(s, k, fmt):
    xs = [d[k] for d in runs[s]]
    return "" if len(xs) == 1 or min(xs) == max(xs) else f" ({fmt.format(min(xs))}-{fmt.format(max(xs))})"

ok = True
today = datetime.date.today().isoformat()
R = int(E["R"])
run_date = E.get("RUN_DATE") or today
print(f"### Training benchmark ({run_date})"
      + (f" (vectors scored again with RESCORE=1 on {today})" if E.get("RESCORE") == "1" else ""))
print()
print(f"Input: `{E['INPUT_NAME']}` decompressed once (untimed) to `{E['PLAIN_NAME']}` "
      f"({int(E['PLAIN_BYTES']) / 1e6:.1f} MB, {WORDS:,} words in {LINES:,} lines); every system reads that plain file. "
      f"Skip-gram, negative sampling: dim 100, window 5, negative 5, sample 1e-3, min-count 5, {EPOCHS} epochs, "
      f"learning rate 0.025 falling linearly, seed 1. Machine: {E['NCPU']} cores ({E.get('CPU', '?')}), shared/noisy; "
      f"load average {E['LOAD_START']} at the start, {E['LOAD_END']} at the end of the timed runs. "
      f"{'Median of ' + str(R) + ' runs' if R > 1 else 'One run'} per system, systems alternated in each repetition. "
      f"gensim {E.get('GENSIM_VER', '?')} on Python {E.get('PY_VER', '?')}; fastText {E.get('FT_VER') or '-'} (Debian package)"
      + (f"; wordpipe binary {E['WP_ORIGIN']}" if E.get("WP_ORIGIN") else "") + ". "
      f"Peers at full speed: gensim ran with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (its BLAS, from threadpoolctl: "
      f"{E.get('PEER_BLAS', '?')}); wordpipe kept the script's environment (OPENBLAS_CORETYPE={E.get('CORETYPE', '?')}).")
print()
print(f"Command: `{E['CMDLINE']}`")
print()
print(f"Train s = training alone: wordpipe's own summary line (vocabulary and encoding excluded), gensim's `train()` "
      f"(perf_counter; `build_vocab` timed apart), fastText's own final words/sec/thread turned back into seconds "
      f"(it counts {WORDS:,} words + {LINES:,} `</s>` per epoch). Words/s = {WORDS:,} corpus words (`wc -w` of the file) "
      f"x {EPOCHS} epochs / train s, the same for every system. Wall s = the whole command (vocabulary, training, "
      f"writing the vectors). Quality = gensim on each system's output file: `evaluate_word_analogies(questions-words.txt, "
      f"restrict_vocab=30000)` and `evaluate_word_pairs(wordsim353.tsv)` Spearman.")
print()
show_load = all(d["load"] for s in timed for d in runs[s])
print("| System | Threads | Train s | Wall s | M words/s | M words/s per thread | Peak RSS MiB | Analogy % (30k) | Questions | WS353 Spearman |"
      + (" Load 1-min (start-end) |" if show_load else ""))
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|" + ("---|" if show_load else ""))
for s in timed:
    d = runs[s][-1]
    print(f"| {name(s)} | {threads(s)} | {med[s]['train']:.1f}{rng(s, 'train', '{:.1f}')} | {med[s]['wall']:.1f} | "
          f"{wps(s) / 1e6:.3f} | {wpt(s) / 1e6:.3f} | {rss[s] / 1024:,.0f} | "
          f"{med[s]['acc']:.2f}{rng(s, 'acc', '{:.2f}')} | {d['questions']:,} | {med[s]['rho']:.4f}{rng(s, 'rho', '{:.4f}')} |"
          + (f" {', '.join(x['load'] for x in runs[s])} |" if show_load else ""))
print()
qcounts = {runs[s][-1]["questions"] for s in timed}
if len(qcounts) > 1:
    print("Analogy question counts differ between files: `restrict_vocab=30000` takes each file's first 30,000 rows, "
          "and the systems order words of equal count differently (wordpipe by UTF-8 bytes), so a few words with the "
          "count found at rank 30,000 are in one file's top 30,000 and not in another's.")
    print()

# ---- ratios against targets
def verdict(x, target, kind):
    if x is None:
        return "-"
    if kind == "ge":
        return "met" if x >= target else f"missed by {target - x:.2f}"
    return "met" if abs(x) <= target else f"missed by {abs(x) - target:.2f}"
lines = []
def add(label, a, b, fn, fmt, target_txt, target, kind):
    cells, verdicts = [], []
    for t in (1, 2):
        sa, sb = f"{a}{t}", f"{b}{t}"
        if sa in med and sb in med and sa in timed and sb in timed:
            x = fn(sa, sb)
            cells.append(fmt.format(x))
            if target is not None:
                verdicts.append(f"{t}t: {verdict(x, target, kind)}")
        else:
            cells.append("-")
    if any(c != "-" for c in cells):
        lines.append(f"| {label} | {cells[0]} | {cells[1]} | {target_txt} | {'; '.join(verdicts) or '-'} |")
ratio_pt = lambda a, b: wpt(a) / wpt(b)
acc_diff = lambda a, b: med[a]["acc"] - med[b]["acc"]
rho_diff = lambda a, b: med[a]["rho"] - med[b]["rho"]
add("wordpipe / gensim, words/s per thread", "wp", "gs", ratio_pt, "{:.2f}x", ">= 2.0x", 2.0, "ge")
add("wordpipe / fastText, words/s per thread", "wp", "ft", ratio_pt, "{:.2f}x", "-", None, "ge")
add("wordpipe --no-batched / gensim, words/s per thread", "wpnb", "gs", ratio_pt, "{:.2f}x", "-", None, "ge")
add("batched / --no-batched, words/s per thread", "wp", "wpnb", ratio_pt, "{:.2f}x", "-", None, "ge")
add("analogy: wordpipe - gensim (points)", "wp", "gs", acc_diff, "{:+.2f}", ">= -1.0", -1.0, "ge")
add("WS353: wordpipe - gensim", "wp", "gs", rho_diff, "{:+.4f}", ">= -0.02", -0.02, "ge")
add("analogy: wordpipe - fastText (points)", "wp", "ft", acc_diff, "{:+.2f}", "-", None, "ge")
add("WS353: wordpipe - fastText", "wp", "ft", rho_diff, "{:+.4f}", "-", None, "ge")
add("analogy: batched - --no-batched (points)", "wp", "wpnb", acc_diff, "{:+.2f}", "within +-1.0", 1.0, "abs")
add("WS353: batched - --no-batched", "wp", "wpnb", rho_diff, "{:+.4f}", "-", None, "ge")
if lines:
    print("| Ratio / difference | 1 thread | 2 threads | Target | Verdict |")
    print("|---|---:|---:|---|---|")
    print("\n".join(lines))
    print()
scal = [(f, f"{f}1", f"{f}2") for f in ("wp", "wpnb", "gs", "ft") if f"{f}1" in timed and f"{f}2" in timed]
if scal:
    print("| System | 2 threads / 1 thread (words/s) | 2 threads / 1 thread (wall) |")
    print("|---|---:|---:|")
    for f, a, b in scal:
        print(f"| {NAMES[f]} | {med[a]['train'] / med[b]['train']:.2f}x | {med[a]['wall'] / med[b]['wall']:.2f}x |")
    print()

# ---- vocabulary and word counts
print("Vocabulary (last repetition): " + "; ".join(f"{name(s)} {threads(s)}t: {runs[s][-1]['vocab_note']}" for s in timed if threads(s) == 1 or f"{family(s)}1" not in timed) + ".")
for s in timed:
    t = runs[s][-1]["tokens"]
    if t is not None and t != WORDS:
        print(f"Note: {name(s)} {threads(s)}t counted {t:,} corpus tokens, `wc -w` counts {WORDS:,}.")
        ok = False
for s in timed:
    if family(s) == "ft":
        print(f"fastText {threads(s)}t final words/sec/thread (its own count, incl. `</s>`): {runs[s][-1]['wst']:,}.")
print()

# ---- wordpipe evaluate vs gensim on the same files
def pairs_of(j):
    return next(v for k, v in j.items() if k.startswith("pairs:"))
checks = []
for s in list(timed) + (["wptxt"] if "wptxt" in runs else []):
    if not family(s).startswith("wp"):
        continue
    for d in runs[s]:
        base = os.path.join(OUT, "eval", os.path.basename(d["file"]))
        j = json.load(open(base + ".wordpipe.json"))
        an = next(v for k, v in j.items() if k.startswith("analogies:"))["total"]
        pr = pairs_of(j)
        p300 = pairs_of(json.load(open(base + ".wordpipe-pairs300k.json")))
        wq = an["correct"] + an["incorrect"]
        da = an["accuracy"] * 100 - d["acc"]
        dr30 = pr["spearman"] - d["rho30k"]
        dr = p300["spearman"] - d["rho"]
        good = wq == d["questions"] and abs(da) <= 0.1 and abs(dr30) <= 0.005 and abs(dr) <= 0.005
        ok &= good
        checks.append(f"`{os.path.basename(d['file'])}`: questions {wq:,} {'=' if wq == d['questions'] else '!='} {d['questions']:,}, "
                      f"accuracy {an['accuracy'] * 100:.2f}% vs {d['acc']:.2f}% ({da:+.3f} points); "
                      f"Spearman at 30,000 words {pr['spearman']:.4f} vs {d['rho30k']:.4f} ({dr30:+.5f}), "
                      f"at 300,000 {p300['spearman']:.4f} vs {d['rho']:.4f} ({dr:+.5f}): {'agree' if good else 'DISAGREE'}")
if checks:
    print("`wordpipe evaluate --vectors OUT.bin --analogies questions-words.txt --pairs wordsim353.tsv --restrict 30000 --json` "
          "vs gensim on the same file (must agree: same question count, accuracy within 0.1 point, Spearman within 0.005). "
          "wordpipe's `--restrict` limits the word pairs too, while gensim's `evaluate_word_pairs` defaults to "
          "`restrict_vocab=300000`: its Spearman is compared with gensim's at `restrict_vocab=30000`, and "
          "`wordpipe evaluate --pairs wordsim353.tsv --restrict 300000 --json` with gensim's default (the table's column).")
    print()
    for c in checks:
        print(f"- {c}")
    print()

# ---- interop
wp_bins = [d for s in timed if family(s).startswith("wp") for d in runs[s]]
if wp_bins:
    d = wp_bins[0]
    print(f"Interop: gensim `KeyedVectors.load_word2vec_format(binary=True)` read all {len(wp_bins)} wordpipe "
          f"word2vec-bin files ({d['nwords']:,} words x {d['dim']}) and scored them above.")
if "wptxt" in runs:
    d = runs["wptxt"][0]
    print(f"The extra `--format word2vec-text` run (1 thread, otherwise the same command; train {d['train']:.1f} s, "
          f"wall {d['wall']:.1f} s) was read by gensim with `binary=False` ({d['nwords']:,} words x {d['dim']}; "
          f"analogy {d['acc']:.2f}%, WS353 {d['rho']:.4f}).", end="")
    p = os.path.join(OUT, "eval", "txt_vs_bin.json")
    if os.path.exists(p):
        c = json.load(open(p))
        if c["same_words"]:
            print(f" Same seed and one thread as the word2vec-bin run `{os.path.basename(E['NN_LIST'].split()[0])}`: "
                  f"same words in the same order, largest vector difference {c['max_abs_diff']:.2g} "
                  f"({'bit-identical training up to the text format' if c['max_abs_diff'] < 1e-5 else 'NOT the same vectors'}).", end="")
        else:
            print(" Its word list differs from the one-thread binary run's.", end="")
    print()
nn_files = E.get("NN_LIST", "").split()
if nn_files and E.get("INTEROP") == "1":
    gs = {}
    for line in open(os.path.join(OUT, "eval", "nearest.gensim.jsonl")):
        j = json.loads(line)
        gs[j["file"]] = j["nearest"]
    wpn = {}
    for line in open(os.path.join(OUT, "eval", "nearest.wordpipe.jsonl")):
        j = json.loads(line)
        a = j["answer"]
        wpn[(j["file"], j["word"])] = None if a is None else [[n["word"], n["score"]] for n in a["neighbours"]]
    print()
    print("gensim `most_similar(word, topn=5)` vs `wordpipe nearest --vectors FILE -k 5 WORD` (read with --json):")
    print()
    print("| File | Word | gensim top 5 | wordpipe top 5 | Same words, same order | Max score diff |")
    print("|---|---|---|---|---|---:|")
    for f in nn_files:
        for w in E["WORDS"].split():
            g, p = (gs.get(f) or {}).get(w), wpn.get((f, w))
            both = g is not None and p is not None and len(g) == len(p)
            same = both and [x for x, _ in g] == [x for x, _ in p]
            diff = max(abs(a[1] - b[1]) for a, b in zip(g, p)) if both else None
            # Neighbours whose cosines differ by float rounding only may come in either order.
            tie = (both and not same and sorted(x for x, _ in g) == sorted(x for x, _ in p) and diff <= 1e-6)
            ok &= same or tie
            fmt = lambda L: "-" if L is None else ", ".join(x for x, _ in L)
            print(f"| `{os.path.basename(f)}` | {w} | {fmt(g)} | {fmt(p) if not same else '(same)'} | "
                  f"{'yes' if same else 'same words; a tie (cosines within 1e-6) in the other order' if tie else 'NO'} | "
                  f"{'-' if diff is None else f'{diff:.1e}'} |")
print()

print("Commands ($PLAIN = the decompressed input; OUT.bin / PREFIX = output):")
print()
for s in timed:
    print(f"- {name(s)}, {threads(s)} thread{'s' if threads(s) > 1 else ''}: `{E['CMD_' + s]}`")
print()
print(f"`uptime` at the start: `{E['UPTIME_START'].strip()}`; at the end of the timed runs: `{E['UPTIME_END'].strip()}`.")
print()
print("Checks: " + ("all pass (evaluate agrees with gensim, gensim reads every file, nearest neighbours equal)." if ok else "SOME FAILED (see above)."))
sys.exit(0 if ok else 1)
