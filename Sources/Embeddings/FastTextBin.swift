import Foundation
import Vocabulary
import WordPipeSupport

/// fastText's binary model format (`model.save_model("x.bin")`, fastText 0.9.x, format
/// version 12), little-endian:
///
/// - magic 793712314 and version 12 (int32 each);
/// - the arguments: dim, ws, epoch, minCount, neg, wordNgrams, loss (1 hs, 2 ns, 3 softmax,
///   4 ova), model (1 cbow, 2 skip-gram, 3 supervised), bucket, minn, maxn, lrUpdateRate (int32
///   each), t (float64);
/// - the dictionary: size, nwords, nlabels (int32), ntokens, pruneidx_size (int64), then per entry
///   the word's bytes and a NUL, its count (int64) and its type (int8: 0 word, 1 label), then
///   pruneidx_size pairs of int32;
/// - a quantization flag (1 byte), the input matrix (rows and columns as int64, then float32
///   rows: the nwords words' own rows, then the bucket n-gram rows), an output flag (1 byte) and
///   the output matrix (the same way).
///
/// A word's vector is the mean of its own row and its n-gram rows (none for `</s>`), a word
/// without a row the mean of its n-gram rows, as fastText's `getWordVector`.
enum FastTextBin {
    static let magic: Int32 = 793_712_314
    static let version: Int32 = 12
    /// fastText's end-of-sentence token, which gets no n-grams.
    static let endOfSentence = "</s>"

    /// Whether the first 8 bytes are fastText's magic and a version.
    static func isFastText(head: Data) -> Bool {
        guard head.count >= 4 else { return false }
        let bytes = [UInt8](head.prefix(4))
        let value = Int32(bitPattern: UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 24)
        return value == magic
    }

    /// The rows of a word for fastText: its own, then its n-grams' (`</s>` has none).
    static func rowIDs(of word: String, id: Int, words: Int, range: SubwordRange?, buckets: Int) -> [Int] {
        guard let range, word != endOfSentence else { return [id] }
        return [id] + Subwords.buckets(of: word, range: range, buckets: buckets).map { words + $0 }
    }

    /// Reads a fastText `.bin` model's word vectors (and n-gram rows).
    static func read(path: String) throws -> WordVectors { try read(path: path, keepTrainingRows: false).vectors }

    /// What continued training needs besides the vectors: the words' own input rows and, for a
    /// negative-sampling model whose output matrix has a row per word, that matrix.
    struct TrainingRows {
        var ownRows: [Float]
        var output: [Float]?
    }

    /// Reads a fastText `.bin` model; with `keepTrainingRows`, also its words' own input rows
    /// and its output matrix (see `TrainingRows`).
    static func read(path: String, keepTrainingRows: Bool) throws -> (vectors: WordVectors, rows: TrainingRows?) {
        let location = SourceLocation(path: path)
        func damaged(_ message: String) -> EmbeddingError { .malformed(location: location, message: message) }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw damaged("cannot read: \(error.localizedDescription)")
        }
        var reader = Reader(data: data)
        func truncated(_ what: String) -> EmbeddingError {
            damaged("truncated fastText model: \(data.count) bytes, which end inside the \(what)")
        }
        guard let fileMagic = reader.int32(), fileMagic == magic, let fileVersion = reader.int32() else { throw truncated("header") }
        guard fileVersion == version else {
            throw damaged("fastText model format version \(fileVersion); this reader knows version \(version) (fastText 0.9); save the model again with fastText 0.9")
        }
        var args: [Int32] = []
        for _ in 0..<12 {
            guard let value = reader.int32() else { throw truncated("arguments") }
            args.append(value)
        }
        guard let sample = reader.float64() else { throw truncated("arguments") }
        let dim = Int(args[0]), window = Int(args[1]), epochs = Int(args[2]), minCount = Int(args[3]), negative = Int(args[4])
        let loss = args[6], model = args[7], buckets = Int(args[8]), minn = Int(args[9]), maxn = Int(args[10])
        guard dim >= 1, dim <= 10_000 else { throw damaged("damaged fastText model: dimension \(dim)") }
        guard let size = reader.int32(), let nwords = reader.int32(), let nlabels = reader.int32(),
              let _ = reader.int64(), let pruned = reader.int64() else { throw truncated("dictionary") }
        guard size >= 0, nwords >= 0, nlabels >= 0, Int(nwords) + Int(nlabels) == Int(size) else {
            throw damaged("damaged fastText model: a dictionary of \(size) entries with \(nwords) words and \(nlabels) labels")
        }
        var words: [String] = []
        var counts: [Int64] = []
        // Each entry takes at least 10 bytes: a damaged count cannot reserve more than the file holds.
        words.reserveCapacity(min(Int(nwords), data.count / 10))
        counts.reserveCapacity(min(Int(nwords), data.count / 10))
        for _ in 0..<Int(size) {
            guard let bytes = reader.cString(), let count = reader.int64(), let type = reader.uint8() else { throw truncated("dictionary") }
            if type == 0 {
                words.append(String(decoding: bytes, as: UTF8.self))
                counts.append(max(0, count))
            }
        }
        guard words.count == Int(nwords) else { throw damaged("damaged fastText model: \(words.count) word entries, the dictionary says \(nwords)") }
        if pruned > 0 {
            throw damaged("a pruned (quantized) fastText model; give the model before `fasttext quantize`")
        }
        guard let quantized = reader.uint8() else { throw truncated("input matrix") }
        if quantized != 0 { throw damaged("a quantized fastText model (.ftz); give the model before `fasttext quantize`") }
        guard let rows = reader.int64(), let columns = reader.int64() else { throw truncated("input matrix") }
        let subwordRange = maxn > 0 && minn >= 1 && maxn >= minn ? SubwordRange(minn: minn, maxn: maxn) : nil
        let expectedRows = Int64(nwords) + Int64(subwordRange == nil ? max(0, buckets) : buckets)
        guard columns == Int64(dim), rows == expectedRows || subwordRange == nil && rows >= Int64(nwords) else {
            throw damaged("damaged fastText model: an input matrix of \(rows) × \(columns) for \(nwords) words, \(buckets) buckets and dimension \(dim)")
        }
        guard subwordRange == nil || (1 ... TrainingConfiguration.mostBuckets).contains(buckets) else {
            throw damaged("damaged fastText model: \(buckets) buckets")
        }
        let (inputBytes, overflow) = Int(rows).multipliedReportingOverflow(by: dim * 4)
        // The output matrix follows: its flag and shape, then at least its rows.
        let afterInput = reader.offset + inputBytes
        guard !overflow, afterInput + 17 <= data.count else {
            throw damaged("truncated fastText model: \(data.count) bytes, the input matrix alone needs \(overflow ? "more" : String(afterInput + 17)) (\(rows) × \(columns) floats from byte \(reader.offset), then the output matrix)")
        }
        let input = reader.floats(count: Int(rows) * dim)
        _ = reader.uint8()
        guard let outputRows = reader.int64(), let outputColumns = reader.int64(), outputRows >= 0, outputColumns >= 0 else { throw truncated("output matrix") }
        let (outputBytes, outputOverflow) = Int(outputRows).multipliedReportingOverflow(by: Int(outputColumns) * 4)
        guard !outputOverflow, reader.offset + outputBytes == data.count else {
            throw damaged("truncated or damaged fastText model: \(data.count) bytes, its matrices promise \(outputOverflow ? "more" : String(reader.offset + outputBytes)) (input \(rows) × \(columns), output \(outputRows) × \(outputColumns) floats)")
        }
        var trainingRows: TrainingRows?
        if keepTrainingRows {
            // Negative sampling keeps one output row per word (hierarchical softmax's rows are
            // the tree's inner nodes, which another vocabulary reorders: those start at zero).
            let output = loss == 2 && Int(outputRows) == Int(nwords) && Int(outputColumns) == dim
                ? reader.floats(count: Int(outputRows) * dim) : nil
            trainingRows = TrainingRows(ownRows: Array(input[0 ..< Int(nwords) * dim]), output: output)
        }
        // Each word's vector as fastText's getWordVector computes it.
        let wordCount = Int(nwords)
        var matrix = [Float](repeating: 0, count: wordCount * dim)
        input.withUnsafeBufferPointer { m in
            matrix.withUnsafeMutableBufferPointer { out in
                for (id, word) in words.enumerated() {
                    let ids = rowIDs(of: word, id: id, words: wordCount, range: subwordRange, buckets: buckets)
                    let target = out.baseAddress! + id * dim
                    // The first row copied, so that a word without n-grams keeps its bits (-0.0 too).
                    for index in 0..<dim { target[index] = m[ids[0] * dim + index] }
                    for row in ids.dropFirst() { for index in 0..<dim { target[index] += m[row * dim + index] } }
                    if ids.count > 1 {
                        let scale = 1 / Float(ids.count)
                        for index in 0..<dim { target[index] *= scale }
                    }
                }
            }
        }
        var training: TrainingConfiguration? = TrainingConfiguration(
            model: model == 1 ? .cbow : .skipgram, loss: loss == 1 ? .hs : .ns, dim: dim, window: window, negative: negative,
            sample: sample, noiseExponent: 0.5, epochs: epochs, vocabulary: VocabularyConfiguration(minCount: max(1, minCount)),
            subwords: subwordRange, buckets: subwordRange == nil ? TrainingConfiguration.defaultBuckets : buckets)
        if (try? training?.validate()) == nil || model == 3 { training = nil }
        let vocabulary = Vocabulary(words: words, counts: counts)
        if let repeated = vocabulary.firstRepeat {
            throw EmbeddingError.malformed(location: SourceLocation(path: path), message: "the word '\(repeated.word)' is stored twice, as words \(repeated.first + 1) and \(repeated.second + 1); a fastText model holds each word once")
        }
        var vectors = WordVectors(vocabulary: vocabulary, dim: dim, matrix: matrix, training: training)
        if let subwordRange {
            vectors.subwords = SubwordVectors(range: subwordRange, buckets: buckets,
                                              matrix: Array(input[(wordCount * dim)...]))
        }
        return (vectors, trainingRows)
    }

    /// Writes `vectors` as a fastText `.bin` model: the input rows are chosen so that fastText's
    /// `getWordVector` gives each word its vector here (its own row is n+1 times the vector
    /// minus its n n-gram rows); the output matrix is training's (negative sampling), or zeros
    /// for vectors read from a file, which do not keep it.
    static func write(_ vectors: WordVectors, to file: OutputFile) throws {
        let dim = vectors.dim
        let words = vectors.vocabulary.words
        for (index, word) in words.enumerated() where word.utf8.contains(where: { $0 == 0 || $0 == 0x20 || $0 == 0x0A || $0 == 0x09 }) {
            throw EmbeddingError.invalidOption(name: "format", value: "fasttext-bin",
                                               expected: "words without spaces, tabs, newlines or NUL bytes (fastText splits there); word \(index) is \(word.debugDescription)")
        }
        guard words.count <= 30_000_000 else {
            throw EmbeddingError.invalidOption(name: "format", value: "fasttext-bin", expected: "at most 30,000,000 words (fastText's dictionary size)")
        }
        let training = vectors.training
        let subwords = vectors.subwords
        var header: [UInt8] = []
        func put<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { header.append(contentsOf: $0) } }
        put(magic)
        put(version)
        put(Int32(dim))
        put(Int32(training?.window ?? 5))
        put(Int32(training?.epochs ?? 5))
        put(Int32(training?.vocabulary.minCount ?? 5))
        put(Int32(training?.negative ?? 5))
        put(Int32(1))  // wordNgrams
        put(Int32(training?.loss == .hs ? 1 : 2))
        put(Int32(training?.model == .cbow ? 1 : 2))
        put(Int32(subwords?.buckets ?? 0))
        put(Int32(subwords?.range.minn ?? 0))
        put(Int32(subwords?.range.maxn ?? 0))
        put(Int32(100))  // lrUpdateRate
        withUnsafeBytes(of: (training?.sample ?? 1e-4).bitPattern.littleEndian) { header.append(contentsOf: $0) }
        put(Int32(words.count))
        put(Int32(words.count))
        put(Int32(0))
        put(vectors.vocabulary.counts.reduce(Int64(0)) { $0.addingReportingOverflow($1).overflow ? Int64.max : $0 + $1 })
        put(Int64(-1))  // not pruned
        try file.write(header)
        for (word, count) in zip(words, vectors.vocabulary.counts) {
            var entry = Array(word.utf8)
            entry.append(0)
            withUnsafeBytes(of: count.littleEndian) { entry.append(contentsOf: $0) }
            entry.append(0)  // a word, not a label
            try file.write(entry)
        }
        let buckets = subwords?.buckets ?? 0
        var shape: [UInt8] = [0]  // not quantized
        withUnsafeBytes(of: Int64(words.count + buckets).littleEndian) { shape.append(contentsOf: $0) }
        withUnsafeBytes(of: Int64(dim).littleEndian) { shape.append(contentsOf: $0) }
        try file.write(shape)
        // The words' own rows, in blocks.
        var block: [Float] = []
        block.reserveCapacity(4096 * dim)
        for (id, word) in words.enumerated() {
            let vector = vectors.matrix[id * dim ..< (id + 1) * dim]
            if let subwords {
                let ids = rowIDs(of: word, id: id, words: words.count, range: subwords.range, buckets: buckets)
                let n = Float(ids.count)
                var own = vector.map { $0 * n }
                let m = subwords.storage.buffer
                for row in ids.dropFirst() {
                    let base = (row - words.count) * dim
                    for index in 0..<dim { own[index] -= m[base + index] }
                }
                block.append(contentsOf: own)
            } else {
                block.append(contentsOf: vector)
            }
            if block.count >= 4096 * dim {
                try block.withUnsafeBytes { try file.write($0) }
                block.removeAll(keepingCapacity: true)
            }
        }
        try block.withUnsafeBytes { try file.write($0) }
        if let subwords { try file.write(UnsafeRawBufferPointer(subwords.storage.buffer)) }
        var output: [UInt8] = [0]
        withUnsafeBytes(of: Int64(words.count).littleEndian) { output.append(contentsOf: $0) }
        withUnsafeBytes(of: Int64(dim).littleEndian) { output.append(contentsOf: $0) }
        try file.write(output)
        // Training's own output rows (negative sampling: one per word), which continued training
        // (`train --init`) picks up; vectors read from a file have none, and get zeros.
        if let weights = vectors.outputWeights, weights.count == words.count * dim, training?.loss != .hs {
            try weights.withUnsafeBytes { try file.write($0) }
            return
        }
        let zeros = [UInt8](repeating: 0, count: 1 << 16)
        var remaining = words.count * dim * 4
        while remaining > 0 {
            let count = min(remaining, zeros.count)
            try file.write(zeros[0 ..< count])
            remaining -= count
        }
    }

    /// Reads little-endian values from bytes, nil past the end.
    struct Reader {
        let data: Data
        var offset = 0

        init(data: Data) { self.data = data }

        mutating func bytes(_ count: Int) -> Data? {
            guard count >= 0, offset + count <= data.count else { return nil }
            defer { offset += count }
            let start = data.startIndex + offset
            return data[start ..< start + count]
        }

        mutating func integer<T: FixedWidthInteger>(_: T.Type) -> T? {
            guard let raw = bytes(MemoryLayout<T>.size) else { return nil }
            var value: T = 0
            for (shift, byte) in raw.enumerated() { value |= T(truncatingIfNeeded: byte) << (8 * shift) }
            return value
        }

        mutating func int32() -> Int32? { integer(Int32.self) }
        mutating func int64() -> Int64? { integer(Int64.self) }
        mutating func uint8() -> UInt8? { integer(UInt8.self) }
        mutating func float64() -> Double? { integer(UInt64.self).map(Double.init(bitPattern:)) }

        /// Bytes up to a NUL (consumed, not returned).
        mutating func cString() -> Data? {
            let start = data.startIndex + offset
            guard let end = data[start...].firstIndex(of: 0) else { return nil }
            let result = data[start ..< end]
            offset += end - start + 1
            return result
        }

        /// `count` little-endian float32 values (the caller checked that they are there).
        mutating func floats(count: Int) -> [Float] {
            let start = data.startIndex + offset
            offset += count * 4
            return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                data[start ..< start + count * 4].withUnsafeBytes { raw in
                    for index in 0..<count {
                        buffer[index] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self)))
                    }
                }
                initialized = count
            }
        }
    }
}
