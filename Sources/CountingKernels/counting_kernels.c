// CountingKernels implementation. See counting_kernels.h.
#include "counting_kernels.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    uint64_t hash;    // 0 marks an empty slot (real hashes are forced non-zero)
    int64_t count;
    uint64_t offset;  // into the arena
    uint32_t length;
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

/// 64-bit hash of a byte string: 8 bytes at a time, multiply-xorshift mixing (in the spirit of
/// wyhash/FxHash); quality is ample for a linear-probing table at load <= 0.5.
static inline uint64_t hash_bytes(const uint8_t *bytes, uint32_t length) {
    const uint64_t m = 0x9E3779B97F4A7C15ULL;
    uint64_t h = 0x243F6A8885A308D3ULL ^ ((uint64_t)length * m);
    uint32_t i = 0;
    for (; i + 8 <= length; i += 8) {
        uint64_t word;
        memcpy(&word, bytes + i, 8);
        h = (h ^ word) * m;
        h ^= h >> 32;
    }
    if (i < length) {
        uint64_t word = 0;
        memcpy(&word, bytes + i, length - i);
        h = (h ^ word) * m;
        h ^= h >> 32;
    }
    h ^= h >> 29;
    h *= 0xBF58476D1CE4E5B9ULL;
    h ^= h >> 32;
    return h == 0 ? 1 : h;
}

wp_count_table *wp_count_table_create(void) {
    wp_count_table *table = calloc(1, sizeof(wp_count_table));
    if (table == NULL) return NULL;
    table->capacity = 1 << 16;
    table->slots = calloc((size_t)table->capacity, sizeof(slot_t));
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
    free(table->slots);
    free(table->arena);
    free(table);
}

int64_t wp_count_table_size(const wp_count_table *table) { return table->size; }
int64_t wp_count_table_capacity(const wp_count_table *table) { return table->capacity; }

int wp_count_table_entry(const wp_count_table *table, int64_t slot, const uint8_t **bytes, int32_t *length, int64_t *count) {
    const slot_t *s = &table->slots[slot];
    if (s->hash == 0) return 0;
    *bytes = table->arena + s->offset;
    *length = (int32_t)s->length;
    *count = s->count;
    return 1;
}

static int grow(wp_count_table *table) {
    int64_t capacity = table->capacity * 2;
    slot_t *slots = calloc((size_t)capacity, sizeof(slot_t));
    if (slots == NULL) return -1;
    uint64_t mask = (uint64_t)capacity - 1;
    for (int64_t i = 0; i < table->capacity; i++) {
        slot_t s = table->slots[i];
        if (s.hash == 0) continue;
        uint64_t j = s.hash & mask;
        while (slots[j].hash != 0) j = (j + 1) & mask;
        slots[j] = s;
    }
    free(table->slots);
    table->slots = slots;
    table->capacity = capacity;
    return 0;
}

static inline int add_hashed(wp_count_table *table, const uint8_t *bytes, uint32_t length, uint64_t hash, int64_t count) {
    uint64_t mask = (uint64_t)table->capacity - 1;
    uint64_t i = hash & mask;
    for (;;) {
        slot_t *s = &table->slots[i];
        if (s->hash == 0) break;
        if (s->hash == hash && s->length == length && memcmp(table->arena + s->offset, bytes, length) == 0) {
            s->count += count;
            return 0;
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
    slot_t *s = &table->slots[i];
    s->hash = hash;
    s->count = count;
    s->offset = table->arenaSize;
    s->length = length;
    table->arenaSize += length;
    table->size++;
    if (table->size * 2 > table->capacity) return grow(table);
    return 0;
}

int wp_count_table_add(wp_count_table *table, const uint8_t *bytes, int32_t length, int64_t count) {
    uint32_t n = length > MAX_TOKEN ? MAX_TOKEN : (uint32_t)length;
    return add_hashed(table, bytes, n, hash_bytes(bytes, n), count);
}

int64_t wp_count_table_get(const wp_count_table *table, const uint8_t *bytes, int32_t length) {
    uint32_t n = length > MAX_TOKEN ? MAX_TOKEN : (uint32_t)length;
    uint64_t hash = hash_bytes(bytes, n);
    uint64_t mask = (uint64_t)table->capacity - 1;
    for (uint64_t i = hash & mask;; i = (i + 1) & mask) {
        const slot_t *s = &table->slots[i];
        if (s->hash == 0) return 0;
        if (s->hash == hash && s->length == n && memcmp(table->arena + s->offset, bytes, n) == 0) return s->count;
    }
}

int wp_count_table_scan(wp_count_table *table, const uint8_t *buffer, size_t length, int64_t *tokens, int64_t *lines) {
    size_t i = 0;
    int64_t tokenCount = 0, lineCount = 0;
    while (i < length) {
        uint8_t c = buffer[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            if (c == '\n') lineCount++;
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
        if (n > MAX_TOKEN) n = MAX_TOKEN;
        if (add_hashed(table, buffer + start, (uint32_t)n, hash_bytes(buffer + start, (uint32_t)n), 1) != 0) return -1;
        tokenCount++;
    }
    *tokens += tokenCount;
    *lines += lineCount;
    return 0;
}

int wp_count_table_merge(wp_count_table *table, const wp_count_table *other) {
    for (int64_t i = 0; i < other->capacity; i++) {
        const slot_t *s = &other->slots[i];
        if (s->hash == 0) continue;
        if (add_hashed(table, other->arena + s->offset, s->length, s->hash, s->count) != 0) return -1;
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
        if (add_hashed(fresh, table->arena + s->offset, s->length, s->hash, s->count) != 0) {
            wp_count_table_destroy(fresh);
            return -1;
        }
    }
    free(table->slots);
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
        if (add_hashed(unigrams, buffer + start, cut, hash_bytes(buffer + start, cut), 1) != 0) {
            status = -1;
            break;
        }
        tokenCount++;
        if (previous != NULL) {
            const uint8_t *key;
            uint32_t keyLength = pair_key(previous, previousLength, buffer + start, cut, scratch, &key);
            if (add_hashed(bigrams, key, keyLength, hash_bytes(key, keyLength), 1) != 0) {
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
    int status = add_hashed(table, key, keyLength, hash_bytes(key, keyLength), count);
    if (scratch != stack) free(scratch);
    return status;
}
