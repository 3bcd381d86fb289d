/*
 * icu_floor.c - the "C floor" of the WordPipe tokenization benchmark.
 *
 * Does the benchmark workload as directly as plain C + ICU allows, on one
 * thread, so that WordPipe's overhead over raw ICU can be measured:
 *
 *   for each WikiExtractor document (lines between the title line and
 *   "</doc>", empty lines dropped, joined with "\n"):
 *     UTF-8 -> UTF-16 (u_strFromUTF8WithSub, U+FFFD) of the whole document
 *     sentence BreakIterator (root locale) over the raw, un-normalized UTF-16
 *     (case folding first would destroy sentence ends: ". the" is no end);
 *     for each sentence segment [a, b):
 *       NFKC_Casefold of just that slice (unorm2_getNFKCCasefoldInstance +
 *       unorm2_normalize), then the word BreakIterator (root locale) over the
 *       normalized slice (ubrk_setText per sentence);
 *       a word segment is a token iff ubrk_getRuleStatus() >= UBRK_WORD_NONE_LIMIT;
 *       a sentence with >= 1 token -> one line, tokens joined by ' ' (UTF-8).
 *
 * Usage:  icu_floor OUTPUT INPUT...
 * Build:  cc -O2 -o icu_floor icu_floor.c $(pkg-config --cflags --libs icu-uc icu-i18n)
 * Stats on stderr: documents, sentences, tokens, input bytes, seconds.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <unicode/ubrk.h>
#include <unicode/utf16.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utypes.h>

static void die(const char *what, const char *detail) {
    fprintf(stderr, "icu_floor: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    exit(1);
}

static void check(UErrorCode st, const char *what) {
    if (U_FAILURE(st)) die(what, u_errorName(st));
}

static void *xrealloc(void *p, size_t n) {
    void *q = realloc(p, n ? n : 1);
    if (!q) die("out of memory", NULL);
    return q;
}

/* growable buffers, reused across documents */
static char *doc8;    static size_t doc8_len, doc8_cap;   /* joined document, UTF-8 */
static UChar *raw16;  static int32_t raw16_cap;           /* UTF-16 document, before normalization */
static UChar *norm16; static int32_t norm16_cap;          /* normalized UTF-16 of one sentence */

static const UNormalizer2 *nfkc_cf;
static UBreakIterator *sent_bi, *word_bi;
static FILE *out;
static unsigned long long n_docs, n_sents, n_tokens, n_bytes;

static void doc_append_line(const char *p, size_t n) {
    if (n == 0) return; /* drop empty lines */
    size_t need = doc8_len + n + 1;
    if (need > doc8_cap) {
        doc8_cap = need * 2;
        doc8 = xrealloc(doc8, doc8_cap);
    }
    if (doc8_len) doc8[doc8_len++] = '\n';
    memcpy(doc8 + doc8_len, p, n);
    doc8_len += n;
}

/* Output: our own buffer; tokens are encoded UTF-16 -> UTF-8 straight into it
 * (same bytes as u_strToUTF8WithSub with U+FFFD for unpaired surrogates). */
#define OUTBUF_SIZE (1 << 20)
static char outbuf[OUTBUF_SIZE];
static size_t out_len;

static void out_flush(void) {
    if (out_len && fwrite(outbuf, 1, out_len, out) != out_len) die("write error", NULL);
    out_len = 0;
}

static inline void out_byte(char c) {
    if (out_len == OUTBUF_SIZE) out_flush();
    outbuf[out_len++] = c;
}

static void write_token(const UChar *s, int32_t n) {
    if (out_len + (size_t)n * 3 > OUTBUF_SIZE) {
        out_flush();
        if ((size_t)n * 3 > OUTBUF_SIZE) die("token too long", NULL);
    }
    char *o = outbuf + out_len;
    for (int32_t i = 0; i < n; i++) {
        uint32_t c = s[i];
        if (c < 0x80) {
            *o++ = (char)c;
        } else if (c < 0x800) {
            *o++ = (char)(0xC0 | (c >> 6));
            *o++ = (char)(0x80 | (c & 0x3F));
        } else {
            if (U16_IS_SURROGATE(c)) {
                if (U16_IS_LEAD(c) && i + 1 < n && U16_IS_TRAIL(s[i + 1])) {
                    c = U16_GET_SUPPLEMENTARY(c, s[i + 1]);
                    i++;
                    *o++ = (char)(0xF0 | (c >> 18));
                    *o++ = (char)(0x80 | ((c >> 12) & 0x3F));
                    *o++ = (char)(0x80 | ((c >> 6) & 0x3F));
                    *o++ = (char)(0x80 | (c & 0x3F));
                    continue;
                }
                c = 0xFFFD;
            }
            *o++ = (char)(0xE0 | (c >> 12));
            *o++ = (char)(0x80 | ((c >> 6) & 0x3F));
            *o++ = (char)(0x80 | (c & 0x3F));
        }
    }
    out_len = (size_t)(o - outbuf);
}

static void process_doc(void) {
    UErrorCode st = U_ZERO_ERROR;
    n_docs++;
    if (doc8_len == 0) return;

    /* UTF-8 -> UTF-16; UTF-16 length <= UTF-8 length */
    if ((int64_t)doc8_len + 1 > raw16_cap) {
        if (doc8_len > 0x3fffffff) die("document too large", NULL);
        raw16_cap = (int32_t)doc8_len * 2 + 16;
        raw16 = xrealloc(raw16, (size_t)raw16_cap * sizeof(UChar));
    }
    int32_t raw_len = 0;
    u_strFromUTF8WithSub(raw16, raw16_cap, &raw_len, doc8, (int32_t)doc8_len, 0xFFFD, NULL, &st);
    check(st, "u_strFromUTF8WithSub");

    /* sentences over the raw (un-normalized) document */
    ubrk_setText(sent_bi, raw16, raw_len, &st);
    check(st, "ubrk_setText(sentence)");

    int32_t a = ubrk_first(sent_bi);
    for (int32_t b = ubrk_next(sent_bi); b != UBRK_DONE; a = b, b = ubrk_next(sent_bi)) {
        /* NFKC_Casefold of this sentence only (may expand: retry with the preflighted length) */
        int32_t s_len = b - a;
        if (norm16_cap < s_len + 16) {
            norm16_cap = s_len * 2 + 16;
            norm16 = xrealloc(norm16, (size_t)norm16_cap * sizeof(UChar));
        }
        int32_t n_len = unorm2_normalize(nfkc_cf, raw16 + a, s_len, norm16, norm16_cap, &st);
        if (st == U_BUFFER_OVERFLOW_ERROR) {
            norm16_cap = n_len * 2 + 16;
            norm16 = xrealloc(norm16, (size_t)norm16_cap * sizeof(UChar));
            st = U_ZERO_ERROR;
            n_len = unorm2_normalize(nfkc_cf, raw16 + a, s_len, norm16, norm16_cap, &st);
        }
        check(st, "unorm2_normalize");

        /* words over the normalized sentence */
        ubrk_setText(word_bi, norm16, n_len, &st);
        check(st, "ubrk_setText(word)");
        int in_sentence = 0; /* tokens already written on this sentence's line */
        int32_t start = ubrk_first(word_bi);
        for (int32_t end = ubrk_next(word_bi); end != UBRK_DONE; start = end, end = ubrk_next(word_bi)) {
            if (ubrk_getRuleStatus(word_bi) < UBRK_WORD_NONE_LIMIT) continue;
            if (in_sentence) out_byte(' ');
            write_token(norm16 + start, end - start);
            in_sentence = 1;
            n_tokens++;
        }
        if (in_sentence) {
            out_byte('\n');
            n_sents++;
        }
    }
}

/* WikiExtractor: "<doc ...>" line, title line (dropped), text lines, "</doc>" */
enum { OUTSIDE, TITLE, BODY };

static void process_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) die("cannot open input", path);
    if (fseek(f, 0, SEEK_END) != 0) die("cannot seek", path);
    long size = ftell(f);
    if (size < 0) die("cannot tell", path);
    rewind(f);
    char *buf = xrealloc(NULL, (size_t)size + 1);
    if (fread(buf, 1, (size_t)size, f) != (size_t)size) die("read error", path);
    fclose(f);
    n_bytes += (unsigned long long)size;

    int state = OUTSIDE;
    const char *p = buf, *end = buf + size;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        size_t n = (size_t)(le - p);
        switch (state) {
        case OUTSIDE:
            if (n >= 5 && memcmp(p, "<doc ", 5) == 0) {
                state = TITLE;
                doc8_len = 0;
            }
            break;
        case TITLE:
            state = BODY; /* drop the title line */
            break;
        case BODY:
            if (n == 6 && memcmp(p, "</doc>", 6) == 0) {
                process_doc();
                state = OUTSIDE;
            } else {
                doc_append_line(p, n);
            }
            break;
        }
        p = le + 1;
    }
    if (state != OUTSIDE) process_doc(); /* unterminated last document */
    free(buf);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s OUTPUT INPUT...\n", argv[0]);
        return 2;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);

    UErrorCode st = U_ZERO_ERROR;
    nfkc_cf = unorm2_getNFKCCasefoldInstance(&st);
    check(st, "unorm2_getNFKCCasefoldInstance");
    sent_bi = ubrk_open(UBRK_SENTENCE, "", NULL, 0, &st);
    check(st, "ubrk_open(sentence)");
    word_bi = ubrk_open(UBRK_WORD, "", NULL, 0, &st);
    check(st, "ubrk_open(word)");

    out = fopen(argv[1], "wb");
    if (!out) die("cannot open output", argv[1]);

    for (int i = 2; i < argc; i++) process_file(argv[i]);

    out_flush();
    if (fclose(out) != 0) die("write error", argv[1]);
    ubrk_close(word_bi);
    ubrk_close(sent_bi);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    fprintf(stderr, "icu_floor: documents=%llu sentences=%llu tokens=%llu input_bytes=%llu seconds=%.3f\n",
            n_docs, n_sents, n_tokens, n_bytes, secs);
    return 0;
}
