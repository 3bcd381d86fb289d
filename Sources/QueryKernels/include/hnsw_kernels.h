// HNSW graph kernels (Malkov & Yashunin, "Efficient and robust approximate nearest neighbor
// search using Hierarchical Navigable Small World graphs", 2016/2018): the build and the search
// of `wordpipe index` / `nearest --index`, in C. The similarity is the float32 dot product of
// unit rows (cosine). The graph is held in flat arrays that are written to the index file as
// they are and searched in place from a memory mapping (see FORMATS.md, "HNSW index").
#ifndef WORDPIPE_HNSW_KERNELS_H
#define WORDPIPE_HNSW_KERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The graph. Node i has level levels[i] >= 0. Level 0: links0[i·(1+m0)] is the number of its
/// neighbours, the next m0 values their ids. Level l >= 1 (l <= levels[i]): the block of 1+m
/// values at upper[offsets[i] + (l−1)·(1+m)], same layout; offsets[i] is −1 for a level-0 node.
typedef struct wph_graph {
    int64_t rows;
    int64_t dim;
    int32_t m, m0;
    int32_t max_level;
    int32_t entry;
    int64_t upper_count;  // values in `upper`
    const int64_t *offsets;
    const int32_t *levels;
    int32_t *links0;
    int32_t *upper;
} wph_graph;

/// Links every node of `graph` (levels, offsets and array sizes set by the caller; links0 and
/// upper zeroed) over the unit rows `vectors` (rows × dim float32), with `ef_construction`
/// candidates per insertion and the neighbour-selection heuristic, on `threads` threads. Sets
/// entry and max_level. With one thread the graph depends only on the levels. `progress`, when
/// not NULL, is increased (relaxed atomic) as nodes are inserted. Returns 0, or −1 when memory ran out.
int32_t wph_build(wph_graph *graph, const float *vectors, int32_t ef_construction, int32_t threads, int64_t *progress);

/// Checks a graph read from a file before it is searched: every count within its bound, every id
/// in range, every block inside `upper`, levels within max_level, the entry at max_level.
/// Returns −1 when it is sound, else the first node found at fault (and its reason in `reason`:
/// 1 level, 2 offset, 3 count, 4 neighbour id, 5 entry).
int64_t wph_validate(const wph_graph *graph, int32_t *reason);

/// A search context: the visited marks of one thread (create one per thread; not shareable).
typedef struct wph_search wph_search;
wph_search *wph_search_create(int64_t rows);
void wph_search_destroy(wph_search *search);

/// The (up to) `ef` rows nearest to the unit `query` found by the greedy descent and the level-0
/// beam search of width `ef` (ef >= 1): their ids to `ids`, best first, with their similarities
/// (any order of summation) to `scores`. Returns how many (fewer than ef only in a small graph).
int64_t wph_search_knn(const wph_graph *graph, const float *vectors, const float *query, int32_t ef,
                       wph_search *search, int32_t *ids, float *scores);

/// `wph_search_knn` over rows that are not unit: the similarity of row r is dot(query, row r) ·
/// scale[r] (scale[r] = 1 / ‖row r‖, 0 for a zero row), so the rows can be searched where they
/// are (a memory-mapped file) without a normalized copy. With `scale` NULL, `wph_search_knn`.
int64_t wph_search_knn_scaled(const wph_graph *graph, const float *vectors, const float *scale, const float *query,
                              int32_t ef, wph_search *search, int32_t *ids, float *scores);

/// The dot product used by the graph (AVX-512, AVX2 + FMA or portable, chosen at run time).
float wph_dot(const float *a, const float *b, int64_t dim);

#ifdef __cplusplus
}
#endif
#endif
