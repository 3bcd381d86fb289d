// CountingKernels implementation. See counting_kernels.h.
#include "counting_kernels.h"

#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__linux__)
#include <sys/mman.h>
#endif

// Keys are read as little-endian words (prefixes, zero-padded tails); every target we build for
// (x86-64, arm64) is little-endian.
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "counting_kernels.c assumes a little-endian target"
#endif

typedef struct {
    uint64_t hash;    // 0 marks an empty slot (real hashes are forced non-zero)
    int64_t count;
    uint64_t prefix;  // the key's first 8 bytes, zero-padded: short keys compare without the arena
    uint64_t place;   // arena offset << 18 | KEY_* flags << 16 | length (keys are at most MAX_TOKEN = 2^16 - 1 bytes)
} slot_t;

struct wp_count_table {
    slot_t *slots;
    int64_t capacity;  // power of two
    int64_t size;
    uint8_t *arena;
    uint64_t arenaSize;
    uint64_t arenaCapacity;
};

#define MAX_TOKEN 65535
#define HASH_M 0x9E3779B97F4A7C15ULL

static inline uint64_t load64(const uint8_t *bytes) {
    uint64_t word;
    memcpy(&word, bytes, 8);
    return word;
}

// Bits 16-17 of `place` say what is wrong with a key's bytes, found once, when the key is
// added: the scanner then learns it from the slot it touches anyway, with no pass over the text.
#define KEY_INVALID_UTF8 1  // not valid UTF-8
#define KEY_NUL 2           // holds a NUL byte
#define KEY_UNCHECKED (-1)  // `add_keyed`: check the bytes of a new key

static inline uint32_t slot_length(const slot_t *s) { return (uint32_t)(s->place & 0xFFFF); }
static inline uint64_t slot_offset(const slot_t *s) { return s->place >> 18; }
static inline int slot_flags(const slot_t *s) { return (int)(s->place >> 16) & 3; }

/// Whether any of the 8 bytes of `w` is >= 0x80 or zero (the classic has-zero-byte test).
static inline int has_high_or_zero(uint64_t w) {
    return ((w | ((w - 0x0101010101010101ULL) & ~w)) & 0x8080808080808080ULL) != 0;
}

/// One step of the Unicode "maximal subpart" practice at a byte >= 0x80: returns how many bytes
/// the sequence starting at `bytes[i]` spans and sets `*invalid` when they are one ill-formed
/// subpart (one U+FFFD). The well-formed sequences are those of Unicode 15, table 3-7.
static size_t utf8_step(const uint8_t *bytes, size_t i, size_t length, int *invalid) {
    uint8_t c = bytes[i];
    size_t need;
    uint8_t low = 0x80, high = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        if (c == 0xE0) low = 0xA0;
        if (c == 0xED) high = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        if (c == 0xF0) low = 0x90;
        if (c == 0xF4) high = 0x8F;
    } else {
        *invalid = 1;
        return 1;
    }
    size_t j = 1;
    for (; j <= need && i + j < length; j++) {
        uint8_t d = bytes[i + j];
        if (j == 1 ? (d < low || d > high) : (d < 0x80 || d > 0xBF)) break;
    }
    *invalid = j <= need;
    return j;
}

int64_t wp_utf8_invalid_sequences(const uint8_t *bytes, size_t length, int *has_nul) {
    int64_t invalid = 0;
    size_t i = 0;
    while (i < length) {
        uint8_t c = bytes[i];
        if (c < 0x80) {
            if (c == 0 && has_nul != NULL) *has_nul = 1;
            i++;
            // A run of ASCII, 8 bytes at a time.
            while (i + 8 <= length && !has_high_or_zero(load64(bytes + i))) i += 8;
            continue;
        }
        // The common well-formed 2- and 3-byte sequences in straight-line code.
        if (c >= 0xC2 && c <= 0xDF && i + 1 < length && (bytes[i + 1] & 0xC0) == 0x80) {
            i += 2;
            continue;
        }
        if (c >= 0xE1 && c <= 0xEC && i + 2 < length && (bytes[i + 1] & 0xC0) == 0x80 && (bytes[i + 2] & 0xC0) == 0x80) {
            i += 3;
            continue;
        }
        int bad;
        i += utf8_step(bytes, i, length, &bad);
        invalid += bad;
    }
    return invalid;
}

/// The KEY_* flags of a key's bytes (0 for valid UTF-8 without NUL). Called once per new key.
static int key_flags(const uint8_t *bytes, uint32_t length) {
    int nul = 0;
    int64_t invalid = wp_utf8_invalid_sequences(bytes, length, &nul);
    return (invalid > 0 ? KEY_INVALID_UTF8 : 0) | (nul ? KEY_NUL : 0);
}

/// The first min(length, 8) bytes of a key as a little-endian word, zero-padded.
static inline uint64_t key_prefix(const uint8_t *bytes, uint32_t length) {
    uint64_t word = 0;
    memcpy(&word, bytes, length < 8 ? length : 8);
    return word;
}

static inline uint64_t hash_mix(uint64_t h, uint64_t word) {
    h = (h ^ word) * HASH_M;
    return h ^ (h >> 32);
}

static inline uint64_t hash_finish(uint64_t h) {
    h ^= h >> 29;
    h *= 0xBF58476D1CE4E5B9ULL;
    h ^= h >> 32;
    return h == 0 ? 1 : h;
}

/// 64-bit hash of a byte string whose first word is `prefix` (see `key_prefix`): 8 bytes at a
/// time, multiply-xorshift mixing (in the spirit of wyhash/FxHash); quality is ample for a
/// linear-probing table at load <= 0.5. The last partial word is zero-padded, so keys of up to
/// 8 bytes hash from `prefix` alone.
static inline uint64_t hash_key(const uint8_t *bytes, uint32_t length, uint64_t prefix) {
    uint64_t h = 0x243F6A8885A308D3ULL ^ ((uint64_t)length * HASH_M);
    if (length == 0) return hash_finish(h);
    h = hash_mix(h, prefix);
    if (length <= 8) return hash_finish(h);
    uint32_t i = 8;
    for (; i + 8 <= length; i += 8) h = hash_mix(h, load64(bytes + i));
    if (i < length) {
        // The last 1-7 bytes, taken from the word that ends the key (length > 8 here).
        uint64_t word = load64(bytes + length - 8) >> (8 * (8 - (length - i)));
        h = hash_mix(h, word);
    }
    return hash_finish(h);
}

static inline uint64_t hash_bytes(const uint8_t *bytes, uint32_t length) {
    return hash_key(bytes, length, key_prefix(bytes, length));
}

/// Whether slot `s` holds the key `bytes[0..<length]` with the given prefix (hash already equal).
static inline int slot_matches(const wp_count_table *table, const slot_t *s, const uint8_t *bytes, uint32_t length,
                               uint64_t prefix) {
    if (slot_length(s) != length || s->prefix != prefix) return 0;
    if (length <= 8) return 1;
    const uint8_t *key = table->arena + slot_offset(s);
    uint32_t i = 8;
    for (; i + 8 <= length; i += 8)
        if (load64(key + i) != load64(bytes + i)) return 0;
    if (i < length && load64(key + length - 8) != load64(bytes + length - 8)) return 0;
    return 1;
}

#define HUGE_PAGE ((size_t)2 << 20)

/// A zeroed slot array. On Linux, arrays of 2 MiB or more are mapped directly (the kernel
/// hands out zeroed pages), aligned to 2 MiB and offered transparent huge pages: lookups land
/// on random slots, and 4 KiB pages would cost a TLB miss on almost every one.
static slot_t *allocate_slots(int64_t capacity) {
    size_t bytes = (size_t)capacity * sizeof(slot_t);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (bytes >= HUGE_PAGE) {
        size_t span = bytes + HUGE_PAGE;
        uint8_t *raw = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (raw == MAP_FAILED) return NULL;
        uint8_t *aligned = (uint8_t *)(((uintptr_t)raw + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
        if (aligned > raw) munmap(raw, (size_t)(aligned - raw));
        size_t tail = (size_t)((raw + span) - (aligned + bytes));
        if (tail > 0) munmap(aligned + bytes, tail);
        madvise(aligned, bytes, MADV_HUGEPAGE);
        return (slot_t *)aligned;
    }
#endif
    return calloc((size_t)capacity, sizeof(slot_t));
}

/// Frees an array made by `allocate_slots(capacity)`.
static void free_slots(slot_t *slots, int64_t capacity) {
    if (slots == NULL) return;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    size_t bytes = (size_t)capacity * sizeof(slot_t);
    if (bytes >= HUGE_PAGE) {
        munmap(slots, bytes);
        return;
    }
#endif
    free(slots);
}

wp_count_table *wp_count_table_create(void) {
    wp_count_table *table = calloc(1, sizeof(wp_count_table));
    if (table == NULL) return NULL;
    table->capacity = 1 << 16;
    table->slots = allocate_slots(table->capacity);
    table->arenaCapacity = 1 << 20;
    table->arena = malloc(table->arenaCapacity);
    if (table->slots == NULL || table->arena == NULL) {
        wp_count_table_destroy(table);
        return NULL;
    }
    return table;
}

void wp_count_table_destroy(wp_count_table *table) {
    if (table == NULL) return;
    free_slots(table->slots, table->capacity);
    free(table->arena);
    free(table);
}

int64_t wp_count_table_size(const wp_count_table *table) { return table->size; }
int64_t wp_count_table_capacity(const wp_count_table *table) { return table->capacity; }

int wp_count_table_entry(const wp_count_table *table, int64_t slot, const uint8_t **bytes, int32_t *length, int64_t *count) {
    const slot_t *s = &table->slots[slot];
    if (s->hash == 0) return 0;
    *bytes = table->arena + slot_offset(s);
    *length = (int32_t)slot_length(s);
    *count = s->count;
    return 1;
}

static int grow(wp_count_table *table) {
    int64_t capacity = table->capacity * 2;
    slot_t *slots = allocate_slots(capacity);
    if (slots == NULL) return -1;
    uint64_t mask = (uint64_t)capacity - 1;
    for (int64_t i = 0; i < table->capacity; i++) {
        slot_t s = table->slots[i];
        if (s.hash == 0) continue;
        uint64_t j = s.hash & mask;
        while (slots[j].hash != 0) j = (j + 1) & mask;
        slots[j] = s;
    }
    free_slots(table->slots, table->capacity);
    table->slots = slots;
    table->capacity = capacity;
    return 0;
}

/// Adds `count` to the key (with its hash and prefix); a new key is copied into the arena with
/// `flags`, or with the flags of its bytes when `flags` is KEY_UNCHECKED. Returns the key's
/// KEY_* flags (0 for a valid key), or -1 when out of memory.
static inline int add_keyed(wp_count_table *table, const uint8_t *bytes, uint32_t length, uint64_t hash,
                            uint64_t prefix, int64_t count, int flags) {
    uint64_t mask = (uint64_t)table->capacity - 1;
    uint64_t i = hash & mask;
    for (;;) {
        slot_t *s = &table->slots[i];
        if (s->hash == 0) break;
        if (s->hash == hash && slot_matches(table, s, bytes, length, prefix)) {
            s->count += count;
            return slot_flags(s);
        }
        i = (i + 1) & mask;
    }
    // New key: copy it into the arena.
    if (table->arenaSize + length > table->arenaCapacity) {
        uint64_t capacity = table->arenaCapacity * 2;
        while (capacity < table->arenaSize + length) capacity *= 2;
        uint8_t *arena = realloc(table->arena, capacity);
        if (arena == NULL) return -1;
        table->arena = arena;
        table->arenaCapacity = capacity;
    }
    memcpy(table->arena + table->arenaSize, bytes, length);
    if (flags == KEY_UNCHECKED) flags = key_flags(bytes, length);
    slot_t *s = &table->slots[i];
    s->hash = hash;
    s->count = count;
    s->prefix = prefix;
    s->place = table->arenaSize << 18 | (uint64_t)flags << 16 | length;
    table->arenaSize += length;
    table->size++;
    if (table->size * 2 > table->capacity && grow(table) != 0) return -1;
    return flags;
}

static inline int add_hashed(wp_count_table *table, const uint8_t *bytes, uint32_t length, uint64_t hash, int64_t count) {
    return add_keyed(table, bytes, length, hash, key_prefix(bytes, length), count, KEY_UNCHECKED);
}

int wp_count_table_add(wp_count_table *table, const uint8_t *bytes, int32_t length, int64_t count) {
    uint32_t n = length > MAX_TOKEN ? MAX_TOKEN : (uint32_t)length;
    return add_hashed(table, bytes, n, hash_bytes(bytes, n), count) < 0 ? -1 : 0;
}

int64_t wp_count_table_get(const wp_count_table *table, const uint8_t *bytes, int32_t length) {
    uint32_t n = length > MAX_TOKEN ? MAX_TOKEN : (uint32_t)length;
    uint64_t prefix = key_prefix(bytes, n);
    uint64_t hash = hash_key(bytes, n, prefix);
    uint64_t mask = (uint64_t)table->capacity - 1;
    for (uint64_t i = hash & mask;; i = (i + 1) & mask) {
        const slot_t *s = &table->slots[i];
        if (s->hash == 0) return 0;
        if (s->hash == hash && slot_matches(table, s, bytes, n, prefix)) return s->count;
    }
}

static inline int is_separator(uint8_t c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

#if defined(__SSE2__)
/// Bit i set when `bytes[i]` (0 <= i < 16) is a separator.
static inline uint32_t separator_mask16(const uint8_t *bytes) {
    __m128i x = _mm_loadu_si128((const __m128i *)bytes);
    __m128i a = _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8(' ')), _mm_cmpeq_epi8(x, _mm_set1_epi8('\n')));
    __m128i b = _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('\t')), _mm_cmpeq_epi8(x, _mm_set1_epi8('\r')));
    return (uint32_t)_mm_movemask_epi8(_mm_or_si128(a, b));
}
#endif

/// The end of the token that starts at `p` (the first separator after it, or `end`).
static inline const uint8_t *token_end(const uint8_t *p, const uint8_t *end) {
#if defined(__SSE2__)
    while (end - p >= 16) {
        uint32_t mask = separator_mask16(p);
        if (mask != 0) return p + __builtin_ctz(mask);
        p += 16;
    }
#endif
    while (p < end && !is_separator(*p)) p++;
    return p;
}

/// A token found by the scanner, waiting for its table lookup.
typedef struct {
    const uint8_t *bytes;
    uint64_t hash;
    uint64_t prefix;
    uint32_t length;
} pending_t;

#define PENDING 8  // lookups in flight: the slot of a token is prefetched this many tokens ahead

/// Records a token whose key has the KEY_* `flags` (rarely called: keep it out of the loop).
__attribute__((noinline, cold)) static void note_issue(wp_text_issues *issues, int flags, const pending_t *t,
                                                       const uint8_t *buffer) {
    if (issues == NULL) return;
    int64_t offset = (int64_t)(t->bytes - buffer);
    if (flags & KEY_INVALID_UTF8) {
        issues->invalid_tokens++;
        issues->invalid_sequences += wp_utf8_invalid_sequences(t->bytes, t->length, NULL);
        if (issues->first_invalid < 0) issues->first_invalid = offset;
    }
    if (flags & KEY_NUL) {
        issues->nul_tokens++;
        if (issues->first_nul < 0) issues->first_nul = offset;
    }
}

/// Token ends are found 16 bytes at a time (SSE2 where available). Each token's hash is computed
/// as soon as it is cut and its slot prefetched; the lookup itself happens PENDING tokens later,
/// in the same order, so the table (and its slot order) is exactly what one-by-one adds give,
/// while the cache misses of rare words overlap with the scanning of the next tokens.
int wp_count_table_scan(wp_count_table *table, const uint8_t *buffer, size_t length, int64_t *tokens, int64_t *lines,
                        wp_text_issues *issues) {
    if (issues != NULL) *issues = (wp_text_issues){0, 0, -1, 0, -1};
    const uint8_t *p = buffer;
    const uint8_t *end = buffer + length;
    int64_t tokenCount = 0, lineCount = 0;
    pending_t pending[PENDING];
    unsigned head = 0, used = 0;
    while (p < end) {
        uint8_t c = *p;
        if (is_separator(c)) {
            lineCount += c == '\n';
            p++;
            continue;
        }
        const uint8_t *start = p;
        p = token_end(p, end);
        size_t n = (size_t)(p - start);
        uint32_t cut = n > MAX_TOKEN ? MAX_TOKEN : (uint32_t)n;
        uint64_t prefix;
        if (end - start >= 8) {
            prefix = load64(start);
            if (cut < 8) prefix &= (1ULL << (8 * cut)) - 1;
        } else {
            prefix = key_prefix(start, cut);
        }
        uint64_t hash = hash_key(start, cut, prefix);
        __builtin_prefetch(&table->slots[hash & (uint64_t)(table->capacity - 1)]);
        if (used == PENDING) {
            pending_t *t = &pending[head];
            int flags = add_keyed(table, t->bytes, t->length, t->hash, t->prefix, 1, KEY_UNCHECKED);
            if (__builtin_expect(flags != 0, 0)) {
                if (flags < 0) return -1;
                note_issue(issues, flags, t, buffer);
            }
            used--;
            head = (head + 1) % PENDING;
        }
        pending[(head + used) % PENDING] = (pending_t){start, hash, prefix, cut};
        used++;
        tokenCount++;
    }
    for (; used > 0; used--, head = (head + 1) % PENDING) {
        pending_t *t = &pending[head];
        int flags = add_keyed(table, t->bytes, t->length, t->hash, t->prefix, 1, KEY_UNCHECKED);
        if (flags < 0) return -1;
        if (flags != 0) note_issue(issues, flags, t, buffer);
    }
    *tokens += tokenCount;
    *lines += lineCount;
    return 0;
}

/// A key to sort: its count, bytes and slot.
typedef struct {
    int64_t count;
    const uint8_t *bytes;
    uint32_t length;
    int64_t slot;
} sort_entry_t;

/// Count descending, then bytes ascending (a key before its extensions), as unsigned bytes.
static int compare_entries(const void *left, const void *right) {
    const sort_entry_t *a = left, *b = right;
    if (a->count != b->count) return a->count > b->count ? -1 : 1;
    uint32_t common = a->length < b->length ? a->length : b->length;
    int order = common > 0 ? memcmp(a->bytes, b->bytes, common) : 0;
    if (order != 0) return order;
    return a->length < b->length ? -1 : (a->length > b->length ? 1 : 0);
}

int64_t wp_count_table_sorted_slots(const wp_count_table *table, int64_t minimum, int64_t *slots) {
    if (table->size == 0) return 0;
    sort_entry_t *entries = malloc((size_t)table->size * sizeof(sort_entry_t));
    if (entries == NULL) return -1;
    int64_t n = 0;
    for (int64_t i = 0; i < table->capacity; i++) {
        const slot_t *s = &table->slots[i];
        if (s->hash == 0 || s->count < minimum) continue;
        entries[n++] = (sort_entry_t){s->count, table->arena + slot_offset(s), slot_length(s), i};
    }
    qsort(entries, (size_t)n, sizeof(sort_entry_t), compare_entries);
    for (int64_t i = 0; i < n; i++) slots[i] = entries[i].slot;
    free(entries);
    return n;
}

int wp_count_table_merge(wp_count_table *table, const wp_count_table *other) {
    for (int64_t i = 0; i < other->capacity; i++) {
        const slot_t *s = &other->slots[i];
        if (s->hash == 0) continue;
        if (add_keyed(table, other->arena + slot_offset(s), slot_length(s), s->hash, s->prefix, s->count, slot_flags(s)) < 0)
            return -1;
    }
    return 0;
}

int64_t wp_count_table_prune(wp_count_table *table, int64_t floor) {
    // Rebuild into a fresh table and arena: keys that survive are compacted.
    wp_count_table *fresh = wp_count_table_create();
    if (fresh == NULL) return -1;
    int64_t removed = 0;
    for (int64_t i = 0; i < table->capacity; i++) {
        const slot_t *s = &table->slots[i];
        if (s->hash == 0) continue;
        if (s->count <= floor) {
            removed++;
            continue;
        }
        if (add_keyed(fresh, table->arena + slot_offset(s), slot_length(s), s->hash, s->prefix, s->count, slot_flags(s)) < 0) {
            wp_count_table_destroy(fresh);
            return -1;
        }
    }
    free_slots(table->slots, table->capacity);
    free(table->arena);
    *table = *fresh;
    free(fresh);
    return removed;
}

// ---- Pairs of adjacent tokens (phrases) ----

#define PAIR_STACK 512

/// Points `*key` at the pair key "a b" (tokens cut to MAX_TOKEN, key cut to MAX_TOKEN): at the
/// bytes themselves when `b` follows `a` after exactly one space, else at a copy in `scratch`
/// (which holds at least MAX_TOKEN bytes). Returns the key length.
static inline uint32_t pair_key(const uint8_t *a, uint32_t a_length, const uint8_t *b, uint32_t b_length,
                                uint8_t *scratch, const uint8_t **key) {
    if (a_length > MAX_TOKEN) a_length = MAX_TOKEN;
    if (b_length > MAX_TOKEN) b_length = MAX_TOKEN;
    uint32_t total = a_length + 1 + b_length;
    if (total > MAX_TOKEN) total = MAX_TOKEN;
    if (b == a + a_length + 1 && a[a_length] == ' ') {
        *key = a;
        return total;
    }
    uint32_t first = a_length < total ? a_length : total;
    memcpy(scratch, a, first);
    if (first < total) scratch[first] = ' ';
    if (first + 1 < total) memcpy(scratch + first + 1, b, total - first - 1);
    *key = scratch;
    return total;
}

int wp_count_table_scan_pairs(wp_count_table *unigrams, wp_count_table *bigrams, const uint8_t *context,
                              int32_t context_length, const uint8_t *buffer, size_t length, int64_t *tokens,
                              int64_t *lines) {
    uint8_t *scratch = malloc(MAX_TOKEN);
    if (scratch == NULL) return -1;
    const uint8_t *previous = context_length > 0 ? context : NULL;
    uint32_t previousLength = context_length > 0 ? (uint32_t)context_length : 0;
    size_t i = 0;
    int64_t tokenCount = 0, lineCount = 0;
    int status = 0;
    while (i < length) {
        uint8_t c = buffer[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            if (c == '\n') {
                lineCount++;
                previous = NULL;  // pairs never cross a line end
            }
            i++;
            continue;
        }
        size_t start = i;
        while (i < length) {
            c = buffer[i];
            if (c == ' ' || c == '\t' || c == '\r' || c == '\n') break;
            i++;
        }
        size_t n = i - start;
        uint32_t cut = n > MAX_TOKEN ? MAX_TOKEN : (uint32_t)n;
        if (add_hashed(unigrams, buffer + start, cut, hash_bytes(buffer + start, cut), 1) < 0) {
            status = -1;
            break;
        }
        tokenCount++;
        if (previous != NULL) {
            const uint8_t *key;
            uint32_t keyLength = pair_key(previous, previousLength, buffer + start, cut, scratch, &key);
            if (add_hashed(bigrams, key, keyLength, hash_bytes(key, keyLength), 1) < 0) {
                status = -1;
                break;
            }
        }
        previous = buffer + start;
        previousLength = cut;
    }
    free(scratch);
    *tokens += tokenCount;
    *lines += lineCount;
    return status;
}

int64_t wp_count_table_get_pair(const wp_count_table *table, const uint8_t *a, int32_t a_length, const uint8_t *b,
                                int32_t b_length) {
    uint8_t stack[PAIR_STACK];
    uint8_t *scratch = stack;
    if ((int64_t)a_length + 1 + b_length > PAIR_STACK) {
        scratch = malloc(MAX_TOKEN);
        if (scratch == NULL) return 0;
    }
    const uint8_t *key;
    uint32_t keyLength = pair_key(a, (uint32_t)a_length, b, (uint32_t)b_length, scratch, &key);
    int64_t count = wp_count_table_get(table, key, (int32_t)keyLength);
    if (scratch != stack) free(scratch);
    return count;
}

int wp_count_table_add_pair(wp_count_table *table, const uint8_t *a, int32_t a_length, const uint8_t *b,
                            int32_t b_length, int64_t count) {
    uint8_t stack[PAIR_STACK];
    uint8_t *scratch = stack;
    if ((int64_t)a_length + 1 + b_length > PAIR_STACK) {
        scratch = malloc(MAX_TOKEN);
        if (scratch == NULL) return -1;
    }
    const uint8_t *key;
    uint32_t keyLength = pair_key(a, (uint32_t)a_length, b, (uint32_t)b_length, scratch, &key);
    int status = add_hashed(table, key, keyLength, hash_bytes(key, keyLength), count) < 0 ? -1 : 0;
    if (scratch != stack) free(scratch);
    return status;
}
