"""Shared by the serve checks (browser_check.py, contract_check.py): small artifacts made with
the real binary, and a `wordpipe serve` process on a free loopback port."""
import os
import random
import re
import signal
import subprocess
import sys


def run(wordpipe, *args, stdin=None):
    result = subprocess.run([wordpipe, *args], input=stdin, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"wordpipe {' '.join(args)} failed: {result.stderr}")
    return result.stdout


PEOPLE, PLACES, FILLERS = ["John Smith", "Mary", "Anna Berg"], ["Paris", "New York", "Berlin"], ["the", "man", "went", "to", "saw", "in"]


def conll(count, offset):
    """Sentences `PERSON filler filler PLACE` in CoNLL, tags IOB2 with PER and LOC."""
    lines = []
    for k in range(offset, offset + count):
        person, place = PEOPLE[k % 3].split(), PLACES[(k // 3) % 3].split()
        tokens = [(w, ("B-PER" if i == 0 else "I-PER")) for i, w in enumerate(person)]
        tokens += [(FILLERS[k % 6], "O"), (FILLERS[(k // 2) % 6], "O")]
        tokens += [(w, ("B-LOC" if i == 0 else "I-LOC")) for i, w in enumerate(place)]
        lines += [f"{w} {t}" for w, t in tokens] + [""]
    return "\n".join(lines) + "\n"


def rows(count, offset):
    """Classifier rows: three labels, each with its cue word."""
    cues = [("pos", "great"), ("neg", "awful"), ("mid", "okay")]
    text = "label\tsentence\n"
    for k in range(offset, offset + count):
        label, cue = cues[k % 3]
        text += f"{label}\t{FILLERS[k % 6]} {cue} {FILLERS[(k // 2) % 6]}\n"
    return text


def make_artifacts(wordpipe, work, classifier=False):
    """400 seeded random 24-D vectors (native), a tagger and optionally a classifier."""
    rng = random.Random(7)
    words = [f"w{i}" for i in range(400)]
    with open(os.path.join(work, "words.vec"), "w") as f:
        f.write(f"{len(words)} 24\n")
        for word in words:
            f.write(word + " " + " ".join(f"{rng.uniform(-1, 1):.5f}" for _ in range(24)) + "\n")
    vectors = os.path.join(work, "words.wpv")
    run(wordpipe, "convert", os.path.join(work, "words.vec"), "-o", vectors)
    small = ["--hidden", "16", "--dim", "16", "--epochs", "15", "--batch", "8", "--lr", "0.02", "--threads", "1", "--progress", "never"]
    files = {"vectors": vectors, "models": []}
    for name, text in [("train.txt", conll(150, 0)), ("dev.txt", conll(30, 5)), ("train.tsv", rows(150, 0)), ("dev.tsv", rows(45, 5))]:
        with open(os.path.join(work, name), "w") as f:
            f.write(text)
    tagger = os.path.join(work, "ner.wpm")
    run(wordpipe, "train-tagger", "--train", os.path.join(work, "train.txt"), "--dev", os.path.join(work, "dev.txt"), "-o", tagger, *small)
    files["tagger"] = tagger
    files["models"].append(tagger)
    if classifier:
        path = os.path.join(work, "sentiment.wpm")
        run(wordpipe, "train-classifier", "--train", os.path.join(work, "train.tsv"), "--dev", os.path.join(work, "dev.tsv"), "-o", path, *small)
        files["classifier"] = path
        files["models"].append(path)
    return files


class Server:
    """`wordpipe serve --port 0 ARGS`, its port read from stderr; `stop()` sends SIGTERM and
    returns the exit status and the request log lines."""

    def __init__(self, wordpipe, args):
        self.process = subprocess.Popen([wordpipe, "serve", "--port", "0", *args], stderr=subprocess.PIPE, text=True)
        self.port = None
        for line in self.process.stderr:
            match = re.search(r"listening on http://127\.0\.0\.1:(\d+)/", line)
            if match:
                self.port = int(match.group(1))
                break
        if self.port is None:
            sys.exit("serve did not start")
        self.base = f"http://127.0.0.1:{self.port}/"

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        log = self.process.stderr.read().splitlines()
        return self.process.wait(timeout=30), log
