import EmbeddingKernels
import HeapModule
import Vocabulary

/// The Huffman tree of hierarchical softmax (word2vec.c's `CreateBinaryTree`): frequent words
/// get short codes. For word w, `codes[w]` are the bits on the path from the root and
/// `points[w]` the inner nodes (0 ..< vocabulary − 1, the root last) whose output vectors
/// predict them.
struct HuffmanTree {
    /// Per word, `WP_MAX_CODE_LENGTH` bits (only the first `lengths[w]` used).
    var codes: [UInt8]
    /// Per word, `WP_MAX_CODE_LENGTH` inner-node indices.
    var points: [Int32]
    /// Per word, the code length.
    var lengths: [UInt8]

    /// Builds the tree from the counts (words with count 0 count as 1). Throws when a code
    /// would pass word2vec's 40-bit limit.
    init(counts: [Int64]) throws {
        let n = counts.count
        let maxLength = Int(WP_MAX_CODE_LENGTH)
        codes = [UInt8](repeating: 0, count: n * maxLength)
        points = [Int32](repeating: 0, count: n * maxLength)
        lengths = [UInt8](repeating: 0, count: n)
        guard n >= 2 else { return }
        // Nodes 0..<n are leaves, n..<2n-1 inner nodes (inner index = node - n).
        struct Entry: Comparable {
            var count: Int64
            var node: Int
            static func < (a: Entry, b: Entry) -> Bool { a.count != b.count ? a.count < b.count : a.node < b.node }
        }
        var heap = Heap<Entry>(counts.enumerated().map { Entry(count: max(1, $0.element), node: $0.offset) })
        var parent = [Int](repeating: 0, count: 2 * n - 1)
        var bit = [UInt8](repeating: 0, count: 2 * n - 1)
        var next = n
        while heap.count > 1 {
            guard let first = heap.popMin(), let second = heap.popMin() else { break }
            parent[first.node] = next
            parent[second.node] = next
            bit[second.node] = 1  // word2vec: the second-smallest child gets code 1
            // Saturating: counts read from a file can add up to more than an Int64 holds.
            let (sum, overflow) = first.count.addingReportingOverflow(second.count)
            heap.insert(Entry(count: overflow ? .max : sum, node: next))
            next += 1
        }
        let root = 2 * n - 2
        for word in 0..<n {
            var path: [(bit: UInt8, inner: Int32)] = []
            var node = word
            while node != root {
                path.append((bit[node], Int32(parent[node] - n)))
                node = parent[node]
            }
            guard path.count <= maxLength else {
                throw EmbeddingError.invalidOption(name: "loss", value: "hs", expected: "a vocabulary whose Huffman codes fit in \(maxLength) bits")
            }
            lengths[word] = UInt8(path.count)
            for (depth, step) in path.reversed().enumerated() {
                codes[word * maxLength + depth] = step.bit
                points[word * maxLength + depth] = step.inner
            }
        }
    }
}
