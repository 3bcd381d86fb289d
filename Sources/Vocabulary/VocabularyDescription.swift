import Foundation
import WordPipeSupport

extension Vocabulary {
    /// The format of the text file at `path` when it reads as a vocabulary: a `FILE.json` side
    /// file of a vocabulary beside it (tab-separated), or first lines of `word<TAB>count`
    /// (`tsv`) or `word count` (`word2vec`, the first word not a number). Nil for any other file
    /// (a text vector file starts with a `V D` line of two integers, then rows of numbers).
    public static func format(of path: String) -> VocabularyFormat? {
        // A FIFO would block the read and a device never end it.
        var status = stat()
        guard stat(path, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { return nil }
        if let data = FileManager.default.contents(atPath: VocabularyInfo.path(for: path)),
           let info = try? JSONDecoder().decode(VocabularyInfo.self, from: data), info.kind == "wordpipe.vocabulary" {
            return .tsv
        }
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 4096)) ?? Data()
        let lines = String(decoding: head, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true)
            .prefix(2).map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
        guard !lines.isEmpty else { return nil }
        for format in VocabularyFormat.allCases {
            let separator: Character = format == .tsv ? "\t" : " "
            let matches = lines.allSatisfy { line in
                guard let cut = line.lastIndex(of: separator), cut != line.startIndex else { return false }
                let word = line[..<cut]
                return !word.contains(" ") && !word.contains("\t") && Int64(line[line.index(after: cut)...]) != nil
            }
            // A first line of two integers is a text vector file's `V D` header, not a word and its count.
            let vectorHeader = format == .word2vec && lines[0].split(separator: " ").allSatisfy { Int64($0) != nil }
            if matches && !vectorHeader { return format }
        }
        return nil
    }

    /// Describes a vocabulary file for `wordpipe inspect`: its format, size, specials, counts
    /// and, from its side file, how it was made. The whole file is read and checked (every line,
    /// the order of the specials, the counts' sum), with or without `verify`: a text file
    /// carries no checksum.
    public static func describe(path: String, format: VocabularyFormat, verify: Bool) throws -> ArtifactDescription {
        let vocabulary = try read(from: path, format: format)
        let infoPath = VocabularyInfo.path(for: path)
        let info = FileManager.default.contents(atPath: infoPath).flatMap { try? JSONDecoder().decode(VocabularyInfo.self, from: $0) }
        var fields: [ArtifactDescription.Field] = [
            .init("format", .text(format == .tsv ? "tsv (word<TAB>count)" : "word2vec (word count)")),
            .init("words", .integer(vocabulary.count)),
            .init("special tokens", .list(Array(vocabulary.words.prefix(vocabulary.specialCount)))),
        ]
        let counts = vocabulary.counts.dropFirst(vocabulary.specialCount)
        fields.append(.init("total count", .integer(Int(vocabulary.totalCount))))
        if let largest = counts.first, let smallest = counts.last {
            fields.append(.init("largest count", .integer(Int(largest))))
            fields.append(.init("smallest count", .integer(Int(smallest))))
        }
        fields.append(.init("side file", .text(info == nil ? "none (\(infoPath) absent)" : infoPath)))
        if let info {
            fields += [.init("corpus tokens", .integer(Int(info.corpusTokens))), .init("types seen", .integer(Int(info.typesSeen))),
                       .init("types pruned", .integer(Int(info.typesPruned))), .init("configuration", .encoding(info.configuration))]
        }
        fields.append(.init("tokenizer configuration", .flag(vocabulary.tokenizer != nil)))
        if let tokenizer = vocabulary.tokenizer { fields.append(.init("tokenizer", .encoding(tokenizer))) }
        return ArtifactDescription(path: path, kind: "vocabulary", magic: format == .tsv ? "text (word<TAB>count)" : "text (word count)",
                                   version: info?.version ?? 1, currentVersion: 1, fields: fields, checksums: [], verified: verify)
    }
}
