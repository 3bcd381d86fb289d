import Foundation
import Tokenization
import WordPipeSupport

/// The on-disk formats of a vocabulary.
public enum VocabularyFormat: String, Codable, Sendable, CaseIterable {
    /// `word<TAB>count` per line (WordPipe's own), with `FILE.json` beside it.
    case tsv
    /// `word count` per line: word2vec's `-save-vocab` / `-read-vocab` and gensim's.
    case word2vec
}

/// The side file written beside a vocabulary: how it was made.
public struct VocabularyInfo: Codable, Sendable, Equatable {
    /// Identifies the file kind.
    public var kind = "wordpipe.vocabulary"
    /// The format version of this file.
    public var version = 1
    /// The vocabulary stage configuration.
    public var configuration: VocabularyConfiguration
    /// The tokenizer configuration of the counted corpus, when it was known.
    public var tokenizer: TokenizerConfiguration?
    /// How many special tokens lead the file.
    public var specialCount: Int
    /// Corpus tokens counted.
    public var corpusTokens: Int64
    /// Distinct types seen while counting.
    public var typesSeen: Int64
    /// Types dropped by the in-memory bound (0 when counts are exact).
    public var typesPruned: Int64

    /// Creates the record of one build.
    public init(configuration: VocabularyConfiguration, tokenizer: TokenizerConfiguration?, specialCount: Int,
                corpusTokens: Int64, typesSeen: Int64, typesPruned: Int64) {
        self.configuration = configuration
        self.tokenizer = tokenizer
        self.specialCount = specialCount
        self.corpusTokens = corpusTokens
        self.typesSeen = typesSeen
        self.typesPruned = typesPruned
    }

    /// The side-file path for a vocabulary at `path`.
    public static func path(for vocabulary: String) -> String { vocabulary + ".json" }
}

extension Vocabulary {
    /// Writes the vocabulary atomically in `format`; for `tsv`, `info` goes beside it.
    public func write(to path: String, format: VocabularyFormat = .tsv, info: VocabularyInfo? = nil) throws {
        let file = try OutputFile(path: path)
        let separator = format == .tsv ? "\t" : " "
        for (word, count) in zip(words, counts) {
            try file.write(word + separator + String(count) + "\n")
        }
        try file.commit()
        if let info, path != "-" {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try OutputFile.writeAtomically(try encoder.encode(info), to: VocabularyInfo.path(for: path))
        }
    }

    /// Reads a vocabulary in `format` (tab-separated, or word2vec's space-separated). The side
    /// file, when present, supplies the special-token count and the tokenizer configuration.
    /// Lines must be in the vocabulary's order (counts not increasing after the specials).
    public static func read(from path: String, format: VocabularyFormat = .tsv) throws -> Vocabulary {
        // A FIFO would block the read and a device never end it.
        var status = stat()
        let hint = "give a vocabulary written by wordpipe vocab (word<TAB>count per line)"
        if stat(path, &status) == 0 && status.st_mode & S_IFMT != S_IFREG {
            throw VocabularyError.malformed(location: SourceLocation(path: path),
                                            message: FileKinds.notExpected(path: path, expected: "a vocabulary", hint: hint))
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw VocabularyError.malformed(location: SourceLocation(path: path), message: "cannot read: \(error.localizedDescription)")
        }
        var info: VocabularyInfo?
        let infoPath = VocabularyInfo.path(for: path)
        if FileManager.default.fileExists(atPath: infoPath) {
            do {
                info = try JSONDecoder().decode(VocabularyInfo.self, from: Data(contentsOf: URL(fileURLWithPath: infoPath)))
            } catch {
                throw VocabularyError.malformed(location: SourceLocation(path: infoPath), message: "unreadable vocabulary info: \(error)")
            }
            if let info, info.kind != "wordpipe.vocabulary" || info.version > 1 {
                throw VocabularyError.malformed(location: SourceLocation(path: infoPath),
                                                message: "not a vocabulary info file this wordpipe reads (kind '\(info.kind)', version \(info.version)); remove it or rebuild the vocabulary")
            }
        }
        let head = [UInt8](data.prefix(4096))
        if FileKinds.kind(ofHead: head) != nil || head.contains(0) {
            throw VocabularyError.malformed(location: SourceLocation(path: path),
                                            message: "this is \(FileKinds.identify(head: head)), not a vocabulary; \(hint)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw VocabularyError.malformed(location: SourceLocation(path: path), message: "not valid UTF-8")
        }
        var words: [String] = []
        var counts: [Int64] = []
        var seen = Set<String>()
        // The counts' sum is the corpus size: it must fit an Int64 (the sampling tables add them up).
        var total: Int64 = 0
        var largest: (count: Int64, line: Int) = (0, 0)
        let separator: Character = format == .tsv ? "\t" : " "
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            if line.isEmpty { continue }
            let location = SourceLocation(path: path, line: index + 1)
            guard let cut = line.lastIndex(of: separator) else {
                throw VocabularyError.malformed(location: location, message: "expected 'word\(format == .tsv ? "<TAB>" : " ")count'")
            }
            let word = String(line[..<cut])
            guard !word.isEmpty, let count = Int64(line[line.index(after: cut)...]), count >= 0 else {
                throw VocabularyError.malformed(location: location, message: "expected a word and a non-negative count, got '\(line)'")
            }
            guard seen.insert(word).inserted else {
                throw VocabularyError.malformed(location: location, message: "'\(word)' appears twice")
            }
            if count > largest.count { largest = (count, index + 1) }
            let (sum, overflow) = total.addingReportingOverflow(count)
            guard !overflow else {
                throw VocabularyError.malformed(
                    location: location,
                    message: "the counts up to this line add up to more than \(Int64.max), more tokens than any corpus holds: a count is damaged (the largest, \(largest.count), is on line \(largest.line))")
            }
            total = sum
            words.append(word)
            counts.append(count)
        }
        if words.isEmpty { throw VocabularyError.malformed(location: SourceLocation(path: path), message: "empty vocabulary") }
        if let info, info.specialCount < 0 || info.specialCount > words.count {
            throw VocabularyError.malformed(location: SourceLocation(path: infoPath),
                                            message: "specialCount is \(info.specialCount), but \(path) has \(words.count) words; remove the info file or rebuild the vocabulary")
        }
        return Vocabulary(words: words, counts: counts, specialCount: info?.specialCount ?? 0, tokenizer: info?.tokenizer)
    }
}
