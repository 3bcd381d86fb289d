import Foundation
import Vocabulary
import WordPipeSupport

/// Every format vectors can be read from or written to.
public enum VectorFileFormat: String, Sendable, CaseIterable, Codable {
    case native
    case word2vecBin = "word2vec-bin"
    case word2vecText = "word2vec-text"
    /// fastText's `.vec`: the word2vec text format.
    case fasttext
    /// GloVe: the text format without a header line.
    case glove
    /// TensorBoard Embedding Projector: `vectors.tsv` and `metadata.tsv` in a directory.
    case projector
    /// fastText's binary model (`.bin` from `save_model`; readers detect it by its magic number).
    case fasttextBin = "fasttext-bin"

    /// The format a file name asks for by its extension, as gensim's and fastText's users name
    /// files: `.wpv` native, `.bin` word2vec binary, `.txt` word2vec text, `.vec` fastText's
    /// text; nil for any other name (compressed names: the extension before `.gz`/`.bz2`).
    public static func named(by path: String) -> VectorFileFormat? {
        var name = PathNames.lastComponent(path).lowercased()
        for compressed in [".gz", ".bz2"] where name.hasSuffix(compressed) { name.removeLast(compressed.count) }
        switch PathNames.pathExtension(name) {
        case "wpv": return .native
        case "bin": return .word2vecBin
        case "txt": return .word2vecText
        case "vec": return .fasttext
        default: return nil
        }
    }

    /// The format to write `path` in: `given` (from `--format`), else the one its name asks for,
    /// else `fallback`. A `given` format that another known extension contradicts is an error;
    /// the text formats (word2vec text, fastText, GloVe) agree with `.txt` and `.vec` alike
    /// (GloVe's own files are `glove.6B.100d.txt`).
    public static func choose(given: VectorFileFormat?, path: String, fallback: VectorFileFormat?) throws -> VectorFileFormat {
        let named = named(by: path)
        if let given {
            guard let named, named != given else { return given }
            // `.bin` names fastText's models as well as word2vec's binary vectors.
            if given == .fasttextBin && named == .word2vecBin { return given }
            let texts: Set<VectorFileFormat> = [.word2vecText, .fasttext, .glove]
            if texts.contains(named) && texts.contains(given) { return given }
            throw EmbeddingError.invalidOption(name: "format", value: given.rawValue,
                                               expected: "the format that \(path)'s name asks for (\(named.rawValue)); rename the file or drop the format")
        }
        if let format = named ?? fallback { return format }
        throw EmbeddingError.invalidOption(name: "format", value: "(none)",
                                           expected: "a format: \(path)'s name does not tell one (.wpv, .bin, .txt or .vec)")
    }
}

/// What loading a vector file noticed.
public struct VectorLoadReport: Sendable, Equatable {
    /// The format read.
    public var format: VectorFileFormat = .native
    /// Words whose bytes were not valid UTF-8 (replaced with U+FFFD).
    public var invalidWords = 0
    /// Where the first of them is: `file:line` (text) or `file: byte N` (binary; the offset
    /// from the start of the file, from 0).
    public var firstInvalidWord: String?
}

extension WordVectors {
    /// Loads vectors, detecting the format: the native magic number, word2vec binary (a
    /// `V D` header followed by raw floats), word2vec/fastText text (a `V D` header), or GloVe
    /// (no header). Real files' quirks are tolerated: words with spaces (text formats: the last
    /// `dim` fields are the values), trailing spaces, `\r\n`, invalid UTF-8 in a word (replaced
    /// and counted). A header count that disagrees with the rows is an error naming both.
    public static func load(from path: String) throws -> (WordVectors, VectorLoadReport) {
        let location = SourceLocation(path: path)
        try checkRegularFile(path)
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw EmbeddingError.malformed(location: location, message: "cannot open the file")
        }
        let head = (try? handle.read(upToCount: 4096)) ?? Data()
        try? handle.close()
        if head.prefix(8).elementsEqual(nativeMagic) {
            return (try readNative(from: path), VectorLoadReport(format: .native))
        }
        if FastTextBin.isFastText(head: head) {
            return (try FastTextBin.read(path: path), VectorLoadReport(format: .fasttextBin))
        }
        if FileKinds.kind(ofHead: Array(head.prefix(8))) != nil {
            throw EmbeddingError.malformed(location: location, message: FileKinds.misplaced(Array(head.prefix(8)), expected: "a vector file"))
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw EmbeddingError.malformed(location: location, message: "cannot read: \(error.localizedDescription)")
        }
        guard !data.isEmpty else { throw EmbeddingError.malformed(location: location, message: "empty file") }
        // A header line of two integers?
        let firstLineEnd = data.firstIndex(of: 0x0A) ?? data.endIndex
        let firstLine = String(decoding: data[data.startIndex..<firstLineEnd], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let headerFields = firstLine.split(separator: " ")
        if headerFields.count == 2, headerFields.allSatisfy(Self.isInteger) {
            let (rows, dim) = try Self.checkHeader(headerFields[0], headerFields[1], path: path)
            // The body starts after the header's newline (a file may be only the header).
            let body = data[min(firstLineEnd + 1, data.endIndex)...]
            // Binary if the body is not text: look for a NUL or an invalid UTF-8 run near the start.
            let sample = body.prefix(4096)
            // Invalid UTF-8 alone is not enough when the first row reads as text: a small text file
            // with an invalid byte in a word was taken for binary (and failed as "truncated").
            let looksBinary = sample.contains(0)
                || String(validating: sample, as: UTF8.self) == nil && sample.count < 4096 && !Self.firstRowIsText(sample, dim: dim)
                || Self.looksLikeBinaryRows(sample, dim: dim)
            if looksBinary { return try readWord2VecBinary(body, rows: rows, dim: dim, path: path) }
            return try readText(body, firstLine: 2, expectedRows: rows, dim: dim, path: path, format: .word2vecText)
        }
        // Without a header, the first line must already be a word and numbers: a token file, a
        // vocabulary or labelled data given as vectors is named for what it is.
        // (A word and one integer per line is a word2vec-style vocabulary, not 1-dimensional vectors.)
        let fields = firstLine.split(whereSeparator: { $0 == " " || $0 == "\t" })
        let integerPairs = fields.count == 2 && Int(fields[1]) != nil
            && FileKinds.identify(head: [UInt8](head)).hasPrefix("a vocabulary")
        if fields.count >= 2 && fields.last.flatMap({ Float($0) }) == nil || integerPairs {
            throw EmbeddingError.malformed(location: location, message: FileKinds.notExpected(path: path, expected: "a vector file", hint: Self.vectorsHint))
        }
        return try readText(data[...], firstLine: 1, expectedRows: nil, dim: nil, path: path, format: .glove)
    }

    /// Where vector files come from, for errors about files that are not one.
    static let vectorsHint = "give vectors written by wordpipe train (.wpv) or by word2vec, fastText or GloVe"

    /// Throws unless `path` is a regular file (or a link to one): a FIFO would block the read
    /// and a device never end it.
    static func checkRegularFile(_ path: String) throws {
        var info = stat()
        // A path that cannot be examined is reported by the open that follows.
        guard stat(path, &info) == 0 else { return }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw EmbeddingError.malformed(location: SourceLocation(path: path),
                                           message: FileKinds.notExpected(path: path, expected: "a vector file", hint: vectorsHint))
        }
    }

    /// Whether a header field is an integer (an optional sign, then digits).
    static func isInteger(_ field: Substring) -> Bool {
        let digits = field.first == "-" || field.first == "+" ? field.dropFirst() : field
        return !digits.isEmpty && digits.allSatisfy { $0 >= "0" && $0 <= "9" }
    }

    /// The vector count and dimension of a `V D` header, checked: V >= 0, D >= 1, both within
    /// range. Whether the payload holds them is checked by the readers.
    static func checkHeader(_ rowsField: Substring, _ dimField: Substring, path: String) throws -> (rows: Int, dim: Int) {
        let location = SourceLocation(path: path, line: 1)
        guard let rows = Int(rowsField), let dim = Int(dimField) else {
            throw EmbeddingError.malformed(location: location, message: "the header '\(rowsField) \(dimField)' holds a number too large to be a vector count or dimension")
        }
        guard rows >= 0 else {
            throw EmbeddingError.malformed(location: location, message: "the header gives \(rows) vectors; expected a count of at least 0")
        }
        guard dim >= 1 else {
            throw EmbeddingError.malformed(location: location, message: "the header gives dimension \(dim); expected at least 1")
        }
        return (rows, dim)
    }

    /// Heuristic: in a binary file, the first word is followed by 4 × dim bytes that are not
    /// all printable.
    static func looksLikeBinaryRows(_ sample: Data, dim: Int) -> Bool {
        guard let space = sample.firstIndex(of: 0x20) else { return false }
        // `dim` comes from the header: the sample bounds it, so 4 × dim cannot overflow.
        let values = sample[(space + 1)...].prefix(4 * min(dim, sample.count))
        return values.contains { $0 < 0x09 || ($0 > 0x0D && $0 < 0x20) }
    }

    /// Whether the first line of `sample` is a text row: a word, then `dim` numbers.
    static func firstRowIsText(_ sample: Data, dim: Int) -> Bool {
        guard let end = sample.firstIndex(of: 0x0A) else { return false }
        let fields = sample[sample.startIndex..<end].split(whereSeparator: { $0 == 0x20 || $0 == 0x0D || $0 == 0x09 })
        return fields.count > dim && fields.suffix(dim).allSatisfy { Float(String(decoding: $0, as: UTF8.self)) != nil }
    }

    /// Reads word2vec's binary rows (`word`, a space, `dim` little-endian float32 values, an
    /// optional newline). `body` keeps the file's indices, so errors name the byte offset in
    /// the file. The header's counts are checked against the bytes present before anything is
    /// allocated: a header promising more than the file can hold is an error, not a huge
    /// allocation.
    static func readWord2VecBinary(_ body: Data.SubSequence, rows: Int, dim: Int, path: String) throws -> (WordVectors, VectorLoadReport) {
        let location = SourceLocation(path: path)
        // The smallest row is a 1-byte word, a space and the values.
        let (rowBytes, rowOverflow) = dim.multipliedReportingOverflow(by: 4)
        let (smallest, _) = rowBytes.addingReportingOverflow(2)
        guard rows == 0 || !rowOverflow && rowBytes <= body.count else {
            throw EmbeddingError.malformed(location: location,
                                           message: "byte \(body.startIndex): truncated: the header promises vectors of \(dim) values (4 bytes each), but only \(body.count) bytes follow it")
        }
        guard rows == 0 || rows <= body.count / smallest else {
            throw EmbeddingError.malformed(location: location,
                                           message: "byte \(body.startIndex): truncated: the header promises \(rows) vectors of \(dim) values (at least \(smallest) bytes each), but only \(body.count) bytes follow it")
        }
        var report = VectorLoadReport(format: .word2vecBin)
        var words: [String] = []
        words.reserveCapacity(rows)
        var offsets: [Int] = []
        offsets.reserveCapacity(rows)
        var matrix = [Float](repeating: 0, count: rows * dim)
        var index = body.startIndex
        for row in 0..<rows {
            while index < body.endIndex && (body[index] == 0x0A || body[index] == 0x0D) { index += 1 }
            guard let space = body[index...].firstIndex(of: 0x20) else {
                throw EmbeddingError.malformed(location: location,
                                               message: "byte \(index): truncated: the header promises \(rows) vectors, the file ends in vector \(row + 1)")
            }
            guard space > index else {
                throw EmbeddingError.malformed(location: location, message: "byte \(index): vector \(row + 1) has an empty word")
            }
            let (word, invalid) = decodeWord(body[index..<space])
            if invalid > 0 && report.firstInvalidWord == nil { report.firstInvalidWord = "\(path): byte \(index)" }
            report.invalidWords += invalid
            words.append(word)
            offsets.append(index)
            let start = space + 1
            guard body.endIndex - start >= rowBytes else {
                throw EmbeddingError.malformed(location: location,
                                               message: "byte \(start): truncated: the header promises \(rows) vectors, the file ends in vector \(row + 1) ('\(word)')")
            }
            body[start..<(start + rowBytes)].withUnsafeBytes { raw in
                for offset in 0..<dim {
                    matrix[row * dim + offset] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset * 4, as: UInt32.self)))
                }
            }
            index = start + rowBytes
        }
        while index < body.endIndex && (body[index] == 0x0A || body[index] == 0x0D || body[index] == 0x20) { index += 1 }
        if index < body.endIndex {
            throw EmbeddingError.malformed(location: location,
                                           message: "byte \(index): the header says \(rows) vectors, but more data follows them")
        }
        let vectors = try assemble(words: words, matrix: matrix, dim: dim) { first, second in
            .malformed(location: location, message: "byte \(offsets[second]): '\(words[second])' appears twice (first at byte \(offsets[first]))")
        }
        return (vectors, report)
    }

    /// Reads text rows (`word v1 … vD`); `dim` is the header's, or the first row's when nil
    /// (GloVe). Errors name the file and line.
    static func readText(_ body: Data.SubSequence, firstLine: Int, expectedRows: Int?, dim expectedDim: Int?, path: String,
                         format: VectorFileFormat) throws -> (WordVectors, VectorLoadReport) {
        var report = VectorLoadReport(format: format)
        var words: [String] = []
        var lines: [Int] = []
        var matrix: [Float] = []
        var dim = expectedDim
        var lineNumber = firstLine - 1
        for rawLine in body.split(separator: 0x0A, omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = rawLine
            while let last = line.last, last == 0x0D || last == 0x20 || last == 0x09 { line = line.dropLast() }
            if line.isEmpty { continue }
            let fields = line.split(separator: 0x20)
            let location = SourceLocation(path: path, line: lineNumber)
            if dim == nil {
                guard fields.count >= 2 else {
                    throw EmbeddingError.malformed(location: location, message: "expected a word and at least one value, got \(fields.count) field")
                }
                dim = fields.count - 1
            }
            guard let dim, dim > 0, fields.count > dim else {
                throw EmbeddingError.malformed(location: location,
                                               message: "expected a word and \(dim ?? 0) values, got \(fields.count) fields")
            }
            var values: [Float] = []
            values.reserveCapacity(dim)
            for field in fields.suffix(dim) {
                guard let value = Float(String(decoding: field, as: UTF8.self)) else {
                    throw EmbeddingError.malformed(location: location,
                                                   message: "'\(String(decoding: field, as: UTF8.self))' is not a number")
                }
                values.append(value)
            }
            // Words may contain spaces: everything before the last `dim` fields.
            let wordEnd = fields[fields.count - dim - 1].endIndex
            let (word, invalid) = decodeWord(line[line.startIndex..<wordEnd])
            if invalid > 0 && report.firstInvalidWord == nil { report.firstInvalidWord = location.description }
            report.invalidWords += invalid
            words.append(word)
            lines.append(lineNumber)
            matrix += values
        }
        if let expectedRows, expectedRows != words.count {
            throw EmbeddingError.malformed(location: SourceLocation(path: path, line: 1),
                                           message: "the header says \(expectedRows) vectors, the file has \(words.count)")
        }
        guard let dim, !words.isEmpty else { throw EmbeddingError.malformed(location: SourceLocation(path: path), message: "no vectors") }
        let vectors = try assemble(words: words, matrix: matrix, dim: dim) { first, second in
            .malformed(location: SourceLocation(path: path, line: lines[second]),
                       message: "'\(words[second])' appears twice (first on line \(lines[first]))")
        }
        return (vectors, report)
    }

    static func decodeWord(_ bytes: Data.SubSequence) -> (String, Int) {
        if let word = String(validating: bytes, as: UTF8.self) { return (word, 0) }
        return (String(decoding: bytes, as: UTF8.self), 1)
    }

    /// Builds vectors with a vocabulary whose counts are unknown: descending pseudo-counts
    /// keep the file's order (files are sorted by frequency by convention). A word read twice
    /// is the error `duplicate(first row, second row)`.
    static func assemble(words: [String], matrix: [Float], dim: Int,
                         duplicate: (_ first: Int, _ second: Int) -> EmbeddingError) throws -> WordVectors {
        var seen: [String: Int] = [:]
        seen.reserveCapacity(words.count)
        for (row, word) in words.enumerated() {
            if let first = seen.updateValue(row, forKey: word) { throw duplicate(first, row) }
        }
        let counts = (0..<words.count).map { Int64(words.count - $0) }
        return WordVectors(vocabulary: Vocabulary(words: words, counts: counts), dim: dim, matrix: matrix)
    }

    /// The first `limit` words (the most frequent), with the n-gram rows when there are any.
    public func limited(to limit: Int?) -> WordVectors {
        guard let limit, limit < vocabulary.count else { return self }
        let vocabulary = Vocabulary(words: Array(self.vocabulary.words.prefix(limit)), counts: Array(self.vocabulary.counts.prefix(limit)),
                                    specialCount: min(limit, self.vocabulary.specialCount), tokenizer: self.vocabulary.tokenizer)
        var result = WordVectors(vocabulary: vocabulary, dim: dim, matrix: Array(matrix.prefix(limit * dim)), training: training)
        // The n-gram rows do not depend on the vocabulary: words dropped here still get vectors from them.
        result.subwords = subwords
        return result
    }

    /// Writes in any file format (`projector` writes `vectors.tsv` and `metadata.tsv` into
    /// the directory `path`).
    public func save(to path: String, format: VectorFileFormat) throws {
        switch format {
        case .native: try write(to: path, format: .native)
        case .word2vecBin: try write(to: path, format: .word2vecBin)
        case .fasttextBin: try write(to: path, format: .fasttextBin)
        case .word2vecText, .fasttext: try write(to: path, format: .word2vecText)
        case .glove:
            let file = try OutputFile(path: path)
            for (index, word) in vocabulary.words.enumerated() {
                try file.write(word + matrix[index * dim ..< (index + 1) * dim].map { " " + $0.description }.joined() + "\n")
            }
            try file.commit()
        case .projector:
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            let vectors = try OutputFile(path: path + "/vectors.tsv")
            let metadata = try OutputFile(path: path + "/metadata.tsv")
            for (index, word) in vocabulary.words.enumerated() {
                try vectors.write(matrix[index * dim ..< (index + 1) * dim].map(\.description).joined(separator: "\t") + "\n")
                // The projector reads one label per line; tabs and newlines cannot appear in it.
                try metadata.write(word.replacingOccurrences(of: "\t", with: " ") + "\n")
            }
            try vectors.commit()
            try metadata.commit()
        }
    }
}
