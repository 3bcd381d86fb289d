import Embeddings
import Foundation
import Testing
import Tokenization
import Vocabulary

/// The README's "Use it from Swift" example: the code between the markers below is the
/// README's code block (without its imports), and it runs here.
@Suite struct ReadmeExampleTests {
    @Test func theExampleRunsAndFindsNeighbours() throws {
        // README-BEGIN
        let directory = NSTemporaryDirectory() + "wordpipe-example-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)

        // Raw text to tokens: one sentence per line, tokens separated by spaces.
        let tokenizer = try Tokenizer(configuration: TokenizerConfiguration(lowercase: true))
        let text = String(repeating: "The cat sat on the mat. The dog sat on the rug. A cat and a dog. ", count: 300)
        let corpus = try tokenizer.tokenize(text).map { $0.joined(separator: " ") }.joined(separator: "\n")
        try corpus.write(toFile: directory + "/corpus.txt", atomically: true, encoding: .utf8)

        // Word vectors (the vocabulary is built from the corpus), as `wordpipe train` makes them.
        let configuration = TrainingConfiguration(dim: 20, epochs: 2, vocabulary: VocabularyConfiguration(minCount: 1))
        let (vectors, summary) = try TrainingJob.run(
            inputs: [directory + "/corpus.txt"], vocabularyPath: nil, output: directory + "/vectors.wpv",
            format: .native, configuration: configuration, options: TrainingOptions(threads: 1))
        print(summary.line)

        // The nearest words, as `wordpipe nearest`.
        let neighbours = try VectorStore(vectors).nearest(positive: ["cat"], k: 3)
        for neighbour in neighbours { print(neighbour.word, neighbour.score) }
        // README-END
        #expect(neighbours.count == 3)
        #expect(!neighbours.contains { $0.word == "cat" })
        #expect(FileManager.default.fileExists(atPath: directory + "/vectors.wpv"))
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The README shows exactly the code that runs above.
    @Test func theReadmeShowsTheCodeThatRuns() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let source = try String(contentsOf: URL(fileURLWithPath: #filePath), encoding: .utf8)
        let readmeCode = try #require(Self.swiftBlock(after: "## Use it from Swift", in: readme))
            .filter { !$0.hasPrefix("import ") }
        let testCode = try #require(Self.lines(between: "// README-BEGIN", and: "// README-END", in: source))
        #expect(Self.trimmed(readmeCode) == Self.trimmed(testCode))
    }

    /// The lines of the first ```swift block after `heading`.
    static func swiftBlock(after heading: String, in text: String) -> [String]? {
        guard let start = text.range(of: heading) else { return nil }
        let lines = text[start.upperBound...].split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let open = lines.firstIndex(of: "```swift"), let close = lines[(open + 1)...].firstIndex(of: "```") else { return nil }
        return Array(lines[(open + 1)..<close])
    }

    /// The lines strictly between the marker lines, with the test's indentation removed.
    static func lines(between begin: String, and end: String, in text: String) -> [String]? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let open = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == begin }),
              let close = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == end }), open < close else { return nil }
        let indent = lines[open].prefix { $0 == " " }.count
        return lines[(open + 1)..<close].map { $0.count >= indent && $0.prefix(indent).allSatisfy({ $0 == " " }) ? String($0.dropFirst(indent)) : $0 }
    }

    /// Without leading and trailing blank lines.
    static func trimmed(_ lines: [String]) -> [String] {
        var lines = lines
        while lines.first?.trimmingCharacters(in: .whitespaces).isEmpty == true { lines.removeFirst() }
        while lines.last?.trimmingCharacters(in: .whitespaces).isEmpty == true { lines.removeLast() }
        return lines
    }
}
