#!/usr/bin/env python3
"""PyICU peer of the WordPipe tokenization benchmark (same loop as icu_floor.c).

For each WikiExtractor document (lines between the title line and "</doc>",
empty lines dropped, joined with "\\n"): decode UTF-8 (invalid bytes -> U+FFFD)
and run the root-locale sentence BreakIterator over the raw, un-normalized
document (case folding first would destroy sentence ends: ". the" is no end).
For each sentence segment [a, b): NFKC_Casefold just that slice, then run the
root-locale word BreakIterator over the normalized slice (setText per
sentence); a word segment is a token iff getRuleStatus() >= 100
(not UBRK_WORD_NONE); each sentence with at least one token is written as one
line of tokens joined by one space.

Usage:  pyicu_tokenize.py OUTPUT INPUT...
Stats on stderr: documents, sentences, tokens, input bytes, seconds.
"""
import sys
import time

import icu

WORD_NONE_LIMIT = 100  # UBRK_WORD_NONE_LIMIT


def main(argv):
    if len(argv) < 3:
        print(f"usage: {argv[0]} OUTPUT INPUT...", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    normalize = icu.Normalizer2.getNFKCCasefoldInstance().normalize
    root = icu.Locale.getRoot()
    sent_bi = icu.BreakIterator.createSentenceInstance(root)
    word_bi = icu.BreakIterator.createWordInstance(root)
    n_docs = n_sents = n_tokens = n_bytes = 0

    with open(argv[1], "w", encoding="utf-8", newline="\n") as out:
        write = out.write

        def process_doc(lines):
            nonlocal n_docs, n_sents, n_tokens
            n_docs += 1
            if not lines:
                return
            text = b"\n".join(lines).decode("utf-8", errors="replace")
            # ICU offsets are UTF-16 code units; a Python str is indexed by
            # code points. They coincide unless the text has non-BMP chars.
            us = icu.UnicodeString(text)
            doc_bmp = us.length() == len(text)
            sent_bi.setText(us)  # sentences over the raw, un-normalized text
            a = sent_bi.first()
            for b in sent_bi:
                # NFKC_Casefold of this sentence only, then words over it
                ntext = normalize(text[a:b] if doc_bmp else str(us[a:b]))
                a = b
                nus = icu.UnicodeString(ntext)
                bmp = nus.length() == len(ntext)
                word_bi.setText(nus)
                sentence = []
                start = word_bi.first()
                for end in word_bi:
                    if word_bi.getRuleStatus() >= WORD_NONE_LIMIT:
                        sentence.append(ntext[start:end] if bmp else str(nus[start:end]))
                    start = end
                if sentence:
                    write(" ".join(sentence))
                    write("\n")
                    n_sents += 1
                    n_tokens += len(sentence)

        for path in argv[2:]:
            with open(path, "rb") as f:
                data = f.read()
            n_bytes += len(data)
            lines = data.split(b"\n")
            if lines and lines[-1] == b"":
                lines.pop()  # trailing newline, as in the C line scanner
            state = 0  # 0 outside, 1 title line next, 2 body
            body = []
            for line in lines:
                if state == 0:
                    if line.startswith(b"<doc "):
                        state = 1
                        body = []
                elif state == 1:
                    state = 2  # drop the title line
                elif line == b"</doc>":
                    process_doc(body)
                    state = 0
                elif line:  # drop empty lines
                    body.append(line)
            if state != 0:
                process_doc(body)  # unterminated last document

    secs = time.perf_counter() - t0
    print(
        f"pyicu_tokenize: documents={n_docs} sentences={n_sents} tokens={n_tokens} "
        f"input_bytes={n_bytes} seconds={secs:.3f}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
