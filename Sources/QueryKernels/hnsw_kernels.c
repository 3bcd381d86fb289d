// HNSW build and search. See hnsw_kernels.h.
#include "hnsw_kernels.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

// MARK: - Dot product (the order of summation is free here: the answers are rescored in float32
// with the fixed-order kernel of query_kernels.c).

static float dot_portable(const float *a, const float *b, int64_t dim) {
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int64_t i = 0;
    for (; i + 4 <= dim; i += 4) {
        s0 += a[i] * b[i];
        s1 += a[i + 1] * b[i + 1];
        s2 += a[i + 2] * b[i + 2];
        s3 += a[i + 3] * b[i + 3];
    }
    for (; i < dim; i++) s0 += a[i] * b[i];
    return (s0 + s1) + (s2 + s3);
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) static float dot_avx2(const float *a, const float *b, int64_t dim) {
    __m256 x0 = _mm256_setzero_ps(), x1 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= dim; i += 16) {
        x0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), x0);
        x1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), x1);
    }
    if (i + 8 <= dim) {
        x0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), x0);
        i += 8;
    }
    x0 = _mm256_add_ps(x0, x1);
    __m128 u = _mm_add_ps(_mm256_castps256_ps128(x0), _mm256_extractf128_ps(x0, 1));
    u = _mm_hadd_ps(u, u);
    u = _mm_hadd_ps(u, u);
    float sum = _mm_cvtss_f32(u);
    for (; i < dim; i++) sum += a[i] * b[i];
    return sum;
}

__attribute__((target("avx512f,avx2,fma"))) static float dot_avx512(const float *a, const float *b, int64_t dim) {
    __m512 x0 = _mm512_setzero_ps(), x1 = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 32 <= dim; i += 32) {
        x0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), x0);
        x1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), x1);
    }
    for (; i < dim; i += 16) {
        int64_t left = dim - i;
        __mmask16 mask = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);
        x0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mask, a + i), _mm512_maskz_loadu_ps(mask, b + i), x0);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(x0, x1));
}
#endif

typedef float (*dot_function)(const float *, const float *, int64_t);
static dot_function chosen_dot = NULL;
static pthread_once_t dot_once = PTHREAD_ONCE_INIT;

static void choose_dot(void) {
    chosen_dot = dot_portable;
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) chosen_dot = dot_avx2;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        chosen_dot = dot_avx512;
#endif
}

static inline dot_function get_dot(void) {
    pthread_once(&dot_once, choose_dot);
    return chosen_dot;
}

float wph_dot(const float *a, const float *b, int64_t dim) { return get_dot()(a, b, dim); }

// MARK: - Heaps of (similarity, id)

typedef struct { float s; int32_t id; } item;
typedef struct { item *data; int64_t size, capacity; } heap;

static int heap_reserve(heap *h, int64_t capacity) {
    if (h->capacity >= capacity) return 0;
    item *data = realloc(h->data, (size_t)capacity * sizeof(item));
    if (data == NULL) return -1;
    h->data = data;
    h->capacity = capacity;
    return 0;
}

/// `better(a, b)`: a belongs above b. Max-heap (best on top) when `max`, else min-heap.
static inline int above(item a, item b, int max) { return max ? a.s > b.s : a.s < b.s; }

static inline void heap_push(heap *h, item value, int max) {
    int64_t index = h->size++;
    h->data[index] = value;
    while (index > 0) {
        int64_t parent = (index - 1) / 2;
        if (!above(h->data[index], h->data[parent], max)) break;
        item swap = h->data[index];
        h->data[index] = h->data[parent];
        h->data[parent] = swap;
        index = parent;
    }
}

static inline item heap_pop(heap *h, int max) {
    item top = h->data[0];
    h->data[0] = h->data[--h->size];
    int64_t index = 0;
    for (;;) {
        int64_t left = 2 * index + 1, right = left + 1, best = index;
        if (left < h->size && above(h->data[left], h->data[best], max)) best = left;
        if (right < h->size && above(h->data[right], h->data[best], max)) best = right;
        if (best == index) break;
        item swap = h->data[index];
        h->data[index] = h->data[best];
        h->data[best] = swap;
        index = best;
    }
    return top;
}

// MARK: - Search context

struct wph_search {
    uint32_t *marks;
    uint32_t tag;
    int64_t rows;
    heap candidates, results;
    int32_t *scratch;  // a copy of one link list
    item *selection;   // neighbour selection workspace
    int64_t selection_capacity;
};

wph_search *wph_search_create(int64_t rows) {
    wph_search *search = calloc(1, sizeof(wph_search));
    if (search == NULL) return NULL;
    search->marks = calloc((size_t)(rows > 0 ? rows : 1), sizeof(uint32_t));
    if (search->marks == NULL) { free(search); return NULL; }
    search->rows = rows;
    return search;
}

void wph_search_destroy(wph_search *search) {
    if (search == NULL) return;
    free(search->marks);
    free(search->candidates.data);
    free(search->results.data);
    free(search->scratch);
    free(search->selection);
    free(search);
}

static inline void next_tag(wph_search *search) {
    if (++search->tag == 0) {
        memset(search->marks, 0, (size_t)search->rows * sizeof(uint32_t));
        search->tag = 1;
    }
}

static inline int32_t *links_at(const wph_graph *g, int32_t node, int32_t level) {
    if (level == 0) return g->links0 + (int64_t)node * (1 + g->m0);
    return g->upper + g->offsets[node] + (int64_t)(level - 1) * (1 + g->m);
}

// MARK: - Layer search

/// The beam search of one layer from `entry`: leaves up to `ef` results in search->results (a
/// min-heap, worst on top). `locks` (build only) guards each node's link lists while copied.
static int search_layer(const wph_graph *g, const float *vectors, const float *scale, const float *query, int32_t entry,
                        float entry_s, int32_t ef, int32_t level, wph_search *search, pthread_mutex_t *locks) {
    dot_function dot = get_dot();
    int32_t capacity = level == 0 ? g->m0 : g->m;
    if (heap_reserve(&search->candidates, 64) || heap_reserve(&search->results, (int64_t)ef + 2)) return -1;
    if (search->scratch == NULL) {
        search->scratch = malloc((size_t)(g->m0 > g->m ? g->m0 : g->m) * sizeof(int32_t) + sizeof(int32_t));
        if (search->scratch == NULL) return -1;
    }
    next_tag(search);
    search->candidates.size = 0;
    search->results.size = 0;
    search->marks[entry] = search->tag;
    item first = {entry_s, entry};
    heap_push(&search->candidates, first, 1);
    heap_push(&search->results, first, 0);
    while (search->candidates.size > 0) {
        item current = search->candidates.data[0];
        if (search->results.size >= ef && current.s < search->results.data[0].s) break;
        heap_pop(&search->candidates, 1);
        const int32_t *list = links_at(g, current.id, level);
        int32_t count;
        const int32_t *neighbours;
        if (locks) {
            pthread_mutex_lock(&locks[current.id]);
            count = list[0];
            if (count > capacity) count = capacity;
            memcpy(search->scratch, list + 1, (size_t)count * sizeof(int32_t));
            pthread_mutex_unlock(&locks[current.id]);
            neighbours = search->scratch;
        } else {
            count = list[0];
            neighbours = list + 1;
        }
#if defined(__x86_64__)
        // The first rows' first bytes (the hardware prefetcher follows a row once it is touched).
        for (int32_t j = 0; j < count && j < 4; j++) _mm_prefetch((const char *)(vectors + (int64_t)neighbours[j] * g->dim), _MM_HINT_T0);
#endif
        for (int32_t j = 0; j < count; j++) {
            int32_t n = neighbours[j];
#if defined(__x86_64__)
            if (j + 4 < count) _mm_prefetch((const char *)(vectors + (int64_t)neighbours[j + 4] * g->dim), _MM_HINT_T0);
#endif
            if (search->marks[n] == search->tag) continue;
            search->marks[n] = search->tag;
            float s = dot(query, vectors + (int64_t)n * g->dim, g->dim);
            if (scale) s *= scale[n];
            if (search->results.size < ef || s > search->results.data[0].s) {
                if (heap_reserve(&search->candidates, search->candidates.size + 1)) return -1;
                item next = {s, n};
                heap_push(&search->candidates, next, 1);
                heap_push(&search->results, next, 0);
                if (search->results.size > ef) heap_pop(&search->results, 0);
            }
        }
    }
    return 0;
}

/// Greedy descent through the levels above `stop`, from the graph's entry.
static void descend(const wph_graph *g, const float *vectors, const float *scale, const float *query, int32_t from_level,
                    int32_t stop, int32_t *entry, float *entry_s, pthread_mutex_t *locks, int32_t *scratch) {
    dot_function dot = get_dot();
    int32_t current = *entry;
    float best = *entry_s;
    for (int32_t level = from_level; level > stop; level--) {
        int changed = 1;
        while (changed) {
            changed = 0;
            const int32_t *list = links_at(g, current, level);
            int32_t count;
            const int32_t *neighbours;
            if (locks) {
                pthread_mutex_lock(&locks[current]);
                count = list[0] > g->m ? g->m : list[0];
                memcpy(scratch, list + 1, (size_t)count * sizeof(int32_t));
                pthread_mutex_unlock(&locks[current]);
                neighbours = scratch;
            } else {
                count = list[0];
                neighbours = list + 1;
            }
            for (int32_t j = 0; j < count; j++) {
                float s = dot(query, vectors + (int64_t)neighbours[j] * g->dim, g->dim);
                if (scale) s *= scale[neighbours[j]];
                if (s > best) {
                    best = s;
                    current = neighbours[j];
                    changed = 1;
                }
            }
        }
    }
    *entry = current;
    *entry_s = best;
}

// MARK: - Build

static int compare_items_descending(const void *a, const void *b) {
    const item *x = a, *y = b;
    if (x->s != y->s) return x->s > y->s ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

/// The heuristic of the paper (Algorithm 4, as hnswlib applies it): candidates best first; one
/// is kept when it is closer to the base than to every one kept before it. At most `limit`.
static int32_t select_neighbours(const wph_graph *g, const float *vectors, item *candidates, int32_t count, int32_t limit,
                                 item *out) {
    dot_function dot = get_dot();
    qsort(candidates, (size_t)count, sizeof(item), compare_items_descending);
    int32_t kept = 0;
    for (int32_t i = 0; i < count && kept < limit; i++) {
        const float *v = vectors + (int64_t)candidates[i].id * g->dim;
        int good = 1;
        for (int32_t j = 0; j < kept; j++) {
            if (dot(v, vectors + (int64_t)out[j].id * g->dim, g->dim) > candidates[i].s) { good = 0; break; }
        }
        if (good) out[kept++] = candidates[i];
    }
    return kept;
}

typedef struct {
    wph_graph *graph;
    const float *vectors;
    int32_t ef_construction;
    pthread_mutex_t *locks;
    pthread_mutex_t global;
    _Atomic int64_t next;
    _Atomic int32_t failed;
    int64_t *progress;
} build_state;

static int insert(build_state *state, wph_search *search, int32_t node) {
    wph_graph *g = state->graph;
    const float *vectors = state->vectors;
    dot_function dot = get_dot();
    int32_t level = g->levels[node];
    const float *query = vectors + (int64_t)node * g->dim;
    pthread_mutex_lock(&state->global);
    int32_t top = g->max_level, entry = g->entry;
    if (entry < 0) {
        g->entry = node;
        g->max_level = level;
        pthread_mutex_unlock(&state->global);
        return 0;
    }
    int hold = level > top;
    if (!hold) pthread_mutex_unlock(&state->global);
    // Room for the candidates (at most ef_construction), then the kept ones (at most m) and a
    // full list plus one for pruning (m0 + 1).
    int64_t need = (int64_t)state->ef_construction + g->m + g->m0 + 2;
    if (search->selection_capacity < 2 * need) {
        item *selection = realloc(search->selection, (size_t)(2 * need) * sizeof(item));
        if (selection == NULL) { if (hold) pthread_mutex_unlock(&state->global); return -1; }
        search->selection = selection;
        search->selection_capacity = 2 * need;
    }
    if (search->scratch == NULL) {
        search->scratch = malloc((size_t)(g->m0 > g->m ? g->m0 : g->m) * sizeof(int32_t) + sizeof(int32_t));
        if (search->scratch == NULL) { if (hold) pthread_mutex_unlock(&state->global); return -1; }
    }
    item *candidates = search->selection, *chosen = search->selection + need;
    float entry_s = dot(query, vectors + (int64_t)entry * g->dim, g->dim);
    descend(g, vectors, NULL, query, top, level, &entry, &entry_s, state->locks, search->scratch);
    for (int32_t lc = level < top ? level : top; lc >= 0; lc--) {
        if (search_layer(g, vectors, NULL, query, entry, entry_s, state->ef_construction, lc, search, state->locks)) {
            if (hold) pthread_mutex_unlock(&state->global);
            return -1;
        }
        int32_t count = 0;
        while (search->results.size > 0) {
            item found = heap_pop(&search->results, 0);
            if (found.id != node) candidates[count++] = found;
        }
        if (count == 0) continue;
        int32_t kept = select_neighbours(g, vectors, candidates, count, g->m, chosen);
        // The next level's entry: the best candidate (candidates are sorted best first now).
        entry = candidates[0].id;
        entry_s = candidates[0].s;
        int32_t capacity = lc == 0 ? g->m0 : g->m;
        pthread_mutex_lock(&state->locks[node]);
        int32_t *own = links_at(g, node, lc);
        own[0] = kept;
        for (int32_t j = 0; j < kept; j++) own[1 + j] = chosen[j].id;
        pthread_mutex_unlock(&state->locks[node]);
        // Back links, pruned with the same heuristic when a list is full.
        item *pool = chosen + kept;  // room for capacity + 1 items after the kept ones
        item *pruned = candidates;   // the candidates are no longer needed
        for (int32_t j = 0; j < kept; j++) {
            int32_t other = chosen[j].id;
            pthread_mutex_lock(&state->locks[other]);
            int32_t *list = links_at(g, other, lc);
            int32_t have = list[0];
            int duplicate = 0;
            for (int32_t t = 0; t < have; t++) if (list[1 + t] == node) duplicate = 1;
            if (!duplicate) {
                if (have < capacity) {
                    list[1 + have] = node;
                    list[0] = have + 1;
                } else {
                    const float *base = vectors + (int64_t)other * g->dim;
                    for (int32_t t = 0; t < have; t++) {
                        pool[t].id = list[1 + t];
                        pool[t].s = dot(base, vectors + (int64_t)list[1 + t] * g->dim, g->dim);
                    }
                    pool[have].id = node;
                    pool[have].s = chosen[j].s;
                    int32_t left = select_neighbours(g, vectors, pool, have + 1, capacity, pruned);
                    list[0] = left;
                    for (int32_t t = 0; t < left; t++) list[1 + t] = pruned[t].id;
                }
            }
            pthread_mutex_unlock(&state->locks[other]);
        }
    }
    if (hold) {
        g->entry = node;
        g->max_level = level;
        pthread_mutex_unlock(&state->global);
    }
    return 0;
}

static void *build_worker(void *argument) {
    build_state *state = argument;
    wph_search *search = wph_search_create(state->graph->rows);
    if (search == NULL) { atomic_store(&state->failed, 1); return NULL; }
    for (;;) {
        int64_t node = atomic_fetch_add(&state->next, 1);
        if (node >= state->graph->rows || atomic_load(&state->failed)) break;
        if (insert(state, search, (int32_t)node)) { atomic_store(&state->failed, 1); break; }
        if (state->progress) __atomic_fetch_add(state->progress, 1, __ATOMIC_RELAXED);
    }
    wph_search_destroy(search);
    return NULL;
}

int32_t wph_build(wph_graph *graph, const float *vectors, int32_t ef_construction, int32_t threads, int64_t *progress) {
    graph->entry = -1;
    graph->max_level = 0;
    if (graph->rows <= 0) return 0;
    build_state state;
    state.graph = graph;
    state.vectors = vectors;
    state.ef_construction = ef_construction < 1 ? 1 : ef_construction;
    state.progress = progress;
    atomic_init(&state.next, 0);
    atomic_init(&state.failed, 0);
    state.locks = malloc((size_t)graph->rows * sizeof(pthread_mutex_t));
    if (state.locks == NULL) return -1;
    for (int64_t i = 0; i < graph->rows; i++) pthread_mutex_init(&state.locks[i], NULL);
    pthread_mutex_init(&state.global, NULL);
    if (threads < 1) threads = 1;
    // The first node alone (the entry), then the rest in parallel.
    wph_search *first = wph_search_create(graph->rows);
    if (first == NULL || insert(&state, first, 0)) atomic_store(&state.failed, 1);
    wph_search_destroy(first);
    atomic_store(&state.next, 1);
    if (progress) __atomic_fetch_add(progress, 1, __ATOMIC_RELAXED);
    pthread_t *ids = calloc((size_t)threads, sizeof(pthread_t));
    char *running = calloc((size_t)threads, 1);
    if (ids != NULL && running != NULL && !atomic_load(&state.failed)) {
        // A thread that cannot be started leaves its share to the others.
        for (int t = 1; t < threads; t++) running[t] = pthread_create(&ids[t], NULL, build_worker, &state) == 0;
        build_worker(&state);
        for (int t = 1; t < threads; t++) if (running[t]) pthread_join(ids[t], NULL);
    } else {
        atomic_store(&state.failed, 1);
    }
    free(ids);
    free(running);
    for (int64_t i = 0; i < graph->rows; i++) pthread_mutex_destroy(&state.locks[i]);
    pthread_mutex_destroy(&state.global);
    free(state.locks);
    return atomic_load(&state.failed) ? -1 : 0;
}

// MARK: - Validation and search

int64_t wph_validate(const wph_graph *g, int32_t *reason) {
    *reason = 0;
    if (g->rows < 1 || g->m < 1 || g->m0 < 1 || g->max_level < 0 || g->entry < 0 || g->entry >= g->rows
        || g->levels[g->entry] != g->max_level) {
        *reason = 5;
        return g->entry >= 0 && g->entry < g->rows ? g->entry : 0;
    }
    for (int64_t i = 0; i < g->rows; i++) {
        int32_t level = g->levels[i];
        if (level < 0 || level > g->max_level) { *reason = 1; return i; }
        if (level > 0) {
            int64_t offset = g->offsets[i];
            if (offset < 0 || offset > g->upper_count || (int64_t)level * (1 + g->m) > g->upper_count - offset) {
                *reason = 2;
                return i;
            }
        }
        for (int32_t l = 0; l <= level; l++) {
            const int32_t *list = links_at(g, (int32_t)i, l);
            int32_t capacity = l == 0 ? g->m0 : g->m;
            if (list[0] < 0 || list[0] > capacity) { *reason = 3; return i; }
            for (int32_t j = 0; j < list[0]; j++) {
                int32_t n = list[1 + j];
                if (n < 0 || n >= g->rows || g->levels[n] < l) { *reason = 4; return i; }
            }
        }
    }
    return -1;
}

int64_t wph_search_knn(const wph_graph *g, const float *vectors, const float *query, int32_t ef, wph_search *search,
                       int32_t *ids, float *scores) {
    return wph_search_knn_scaled(g, vectors, NULL, query, ef, search, ids, scores);
}

int64_t wph_search_knn_scaled(const wph_graph *g, const float *vectors, const float *scale, const float *query, int32_t ef,
                              wph_search *search, int32_t *ids, float *scores) {
    if (g->rows <= 0 || g->entry < 0 || ef < 1) return 0;
    int32_t entry = g->entry;
    float entry_s = get_dot()(query, vectors + (int64_t)entry * g->dim, g->dim);
    if (scale) entry_s *= scale[entry];
    descend(g, vectors, scale, query, g->max_level, 0, &entry, &entry_s, NULL, NULL);
    if (search_layer(g, vectors, scale, query, entry, entry_s, ef, 0, search, NULL)) return 0;
    int64_t count = search->results.size;
    for (int64_t i = count - 1; i >= 0; i--) {
        item worst = heap_pop(&search->results, 0);
        ids[i] = worst.id;
        scores[i] = worst.s;
    }
    return count;
}
