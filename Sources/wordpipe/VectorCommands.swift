import ArgumentParser
import Embeddings
import Foundation
import WordPipeSupport

extension AnalogyMethod: ExpressibleByArgument {}
extension VectorFileFormat: ExpressibleByArgument {}
extension EvaluationConfiguration.OOVPolicy: ExpressibleByArgument {}

/// Loads a vector file for a command (native files memory-mapped), reporting invalid words.
/// With `oov` false, words without a row get no n-gram vector.
func loadStore(_ path: String, stage: String, oov: Bool = true) throws -> VectorStore {
    let (store, report) = try VectorStore.load(from: path)
    reportInvalidWords(report, path: path, stage: stage)
    store.ngramsForUnknownWords = oov
    return store
}

/// Warns about words that were not valid UTF-8, naming where the first one is.
func reportInvalidWords(_ report: VectorLoadReport, path: String, stage: String) {
    guard report.invalidWords > 0 else { return }
    StandardError.write("\(stage): \(report.firstInvalidWord ?? path): \(report.invalidWords) words were not valid UTF-8 (replaced with U+FFFD; the first is here)\n")
}

/// Writes a line to standard output at once (unbuffered, so answers reach a pipe immediately).
func emit(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// Writes one JSON object as a line.
func printJSON(_ object: [String: Any]) {
    if let line = jsonLine(object) { emit(line) }
}

/// One query's answer: a line of text, or a JSON object.
enum QueryAnswer {
    case text(String)
    case json([String: Any])
}

/// How a query command answers: the words given on the command line once, or each line of
/// standard input at once, so that output line k always answers input line k (a blank line gets
/// an empty line; a query that cannot be answered gets a line that says why).
protocol QueryCommand {
    /// The command's name, for messages.
    static var name: String { get }
    /// The answer to one query (its words), and whether it was answered (else the answer says why not).
    func answer(_ store: VectorStore, words: [String]) -> (QueryAnswer, answered: Bool)
    /// The words given on the command line (empty: read queries from standard input).
    var arguments: [String] { get }
    var vectors: String { get }
    var json: Bool { get }
    /// Whether words without a row get the mean of their n-gram rows (vectors with subwords).
    var oov: Bool { get }
}

extension QueryCommand {
    func runQueries() throws {
        try runQueries { store in { words in self.answer(store, words: words) } }
    }

    /// The query loop with the answering function made once the store is loaded (`prepare` may
    /// load more, e.g. an index; its errors stop the command as a load error does).
    func runQueries(_ prepare: (VectorStore) throws -> ([String]) -> (QueryAnswer, answered: Bool)) throws {
        let store: VectorStore
        let answer: ([String]) -> (QueryAnswer, answered: Bool)
        do {
            store = try loadStore(vectors, stage: Self.name, oov: oov)
            answer = try prepare(store)
        } catch {
            throw StageFailure(stage: Self.name, underlying: error)
        }
        if !arguments.isEmpty {
            let (reply, answered) = answer(arguments)
            write(reply)
            if !answered { throw ExitCode(1) }
            return
        }
        while let line = readLine() {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            if words.isEmpty { emit(""); continue }
            write(answer(words).0)
        }
    }

    func write(_ answer: QueryAnswer) {
        switch answer {
        case .text(let line): emit(line)
        case .json(let object): printJSON(object)
        }
    }

    /// The answer to a query that could not be answered: `WORDS: not in vocabulary`, or a JSON
    /// record with `error` (and `fields`).
    func failure(_ error: Error, fields: [String: Any]) -> (QueryAnswer, answered: Bool) {
        var fields = fields
        let message: String
        switch error {
        case QueryError.unknownWords(let missing):
            message = "not in vocabulary"
            fields["oov"] = missing
            if !json { return (.text("\(missing.joined(separator: " ")): \(message)"), false) }
        default:
            message = errorMessage(error, naming: .option)
        }
        fields["error"] = message
        return (json ? .json(fields) : .text(message), false)
    }
}

/// The lines of standard input in the groups they arrive in: each group holds every complete
/// line that one read(2) brought (a query written alone is a group of one, so it is answered at
/// once). Lines are decoded as `readLine()` decodes them (invalid UTF-8 repaired, "\n" or "\r\n" cut).
struct ArrivingLines {
    private var buffer: [UInt8] = []
    private var ended = false

    mutating func next() -> [String]? {
        while true {
            if let last = buffer.lastIndex(of: 0x0A) {
                let lines = buffer[..<last].split(separator: 0x0A, omittingEmptySubsequences: false).map { line -> String in
                    String(decoding: line.last == 0x0D ? line.dropLast() : line, as: UTF8.self)
                }
                buffer.removeSubrange(...last)
                return lines
            }
            if ended {
                guard !buffer.isEmpty else { return nil }
                defer { buffer = [] }
                return [String(decoding: buffer.last == 0x0D ? buffer.dropLast() : buffer[...], as: UTF8.self)]
            }
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            let count = chunk.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
            if count > 0 { buffer.append(contentsOf: chunk.prefix(count)) } else if count == 0 || errno != EINTR { ended = true }
        }
    }
}

/// `wordpipe nearest`: the nearest words, for the words given or for each line of stdin.
struct Nearest: ParsableCommand, QueryCommand {
    static let configuration = CommandConfiguration(
        abstract: "Nearest words by cosine similarity (gensim's most_similar).",
        discussion: """
        Without WORD, reads one query per line from stdin (words separated by spaces; '-word' \
        subtracts) and answers each line at once: output line k answers input line k. A blank \
        line gets an empty line; a query with an unknown word gets `WORD: not in vocabulary` \
        (with --json, a record with an `error` field). Without --index the answer is exact (a \
        scan of every row); with --index INDEX (from `wordpipe index`) it is approximate: the \
        graph proposes --ef candidates, scored as the exact scan scores them.
        """)
    static let name = "nearest"

    @Option(help: "Vector file (native, word2vec binary or text, fastText .vec, GloVe).")
    var vectors: String

    @Argument(help: "Positive query words.")
    var words: [String] = []

    @Option(parsing: .upToNextOption, help: "Words to subtract (gensim's negative=).")
    var subtract: [String] = []

    /// The old spelling of --subtract, kept working but not shown: it shared its name with
    /// training's negative samples.
    @Option(name: .customLong("negative"), parsing: .upToNextOption, help: .hidden)
    var negativeAlias: [String] = []

    @Option(name: .short, help: "How many answers.")
    var k: Int = 10

    @Option(help: "Search only the N most frequent words.")
    var restrict: Int?

    @Flag(help: "One JSON object per query.")
    var json = false

    @Option(help: "An HNSW index of the vectors (`wordpipe index`): approximate answers, much faster on large vocabularies.")
    var index: String?

    @Option(help: "With --index: candidates the graph search keeps (higher: better recall, slower; at least k). Default 100.")
    var ef: Int?

    @Flag(inversion: .prefixedNo, help: "Words not in the vocabulary get the mean of their character n-gram vectors, when the vectors have subwords (train --subwords); --no-oov answers them as unknown.")
    var oov = true
    @Option(help: "Threads sharing the scan of one query without --index (default 1).")
    var threads: Int = 1

    var arguments: [String] { words + (subtract + negativeAlias).map { "-" + $0 } }

    func validate() throws {
        if k < 1 { throw ValidationError("-k must be at least 1, not \(k)") }
        if let restrict, restrict < 1 { throw ValidationError("--restrict must be at least 1, not \(restrict)") }
        if let ef, ef < 1 { throw ValidationError("--ef must be at least 1, not \(ef) (the number of candidates the graph search keeps; try 100)") }
        if ef != nil && index == nil { throw ValidationError("--ef applies to --index searches; give --index INDEX (from `wordpipe index`) or leave out --ef") }
        if index != nil && restrict != nil {
            throw ValidationError("--restrict cannot be combined with --index (the index covers every word); build an index of fewer words (`wordpipe convert --limit N`, then `wordpipe index`) or leave out --index")
        }
        if threads < 1 { throw ValidationError("--threads must be at least 1, not \(threads)") }
    }

    func run() throws {
        if arguments.isEmpty && index == nil {
            // Lines that arrive together (a batch written at once) are answered together: up to 8
            // share one pass over the rows; each answer is still written as soon as its block is done.
            let store: VectorStore
            do { store = try loadStore(vectors, stage: Self.name, oov: oov) } catch { throw StageFailure(stage: Self.name, underlying: error) }
            var input = ArrivingLines()
            while let group = input.next() {
                var start = 0
                while start < group.count {
                    let lines = group[start ..< min(group.count, start + 8)]
                    start += lines.count
                    let queries = lines.map { line in line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init) }
                    let asked = queries.filter { !$0.isEmpty }.map(Self.split)
                    var answers = store.nearest(queries: asked, k: k, restrict: restrict, threads: threads).makeIterator()
                    for (words, query) in zip(queries, queries.map(Self.split)) {
                        guard !words.isEmpty, let result = answers.next() else { emit(""); continue }
                        switch result {
                        case .success(let neighbours): write(reply(positive: query.positive, negative: query.negative, neighbours: neighbours))
                        case .failure(let error):
                            write(failure(error, fields: ["query": query.positive, "negative": query.negative, "oov": [String](), "neighbours": [Any]()]).0)
                        }
                    }
                }
            }
            return
        }
        try runQueries { store in
            guard let index else { return { words in self.answer(store, index: nil, words: words) } }
            let graph = try HNSWIndex(path: index)
            try graph.check(against: store, indexPath: index, vectorsPath: vectors)
            return { words in self.answer(store, index: graph, words: words) }
        }
    }

    func answer(_ store: VectorStore, words: [String]) -> (QueryAnswer, answered: Bool) {
        answer(store, index: nil, words: words)
    }

    /// A query's words: the positive ones, and those written `-word` (subtracted).
    static func split(_ words: [String]) -> (positive: [String], negative: [String]) {
        (words.filter { !$0.hasPrefix("-") || $0 == "-" }, words.filter { $0.hasPrefix("-") && $0 != "-" }.map { String($0.dropFirst()) })
    }

    /// The answer line (or JSON record) of an answered query.
    func reply(positive: [String], negative: [String], neighbours: [Neighbour]) -> QueryAnswer {
        if json {
            return .json(["query": positive, "negative": negative, "oov": [String](),
                          "neighbours": neighbours.map { ["word": $0.word, "score": $0.score] }])
        }
        return .text(([positive.joined(separator: " ")] + negative.map { "-" + $0 }).joined(separator: " ") + ": "
                     + neighbours.map { String(format: "%@ %.3f", $0.word, $0.score) }.joined(separator: ", "))
    }

    func answer(_ store: VectorStore, index graph: HNSWIndex?, words: [String]) -> (QueryAnswer, answered: Bool) {
        let (positive, negative) = Self.split(words)
        do {
            let neighbours = try graph.map { try store.nearest(positive: positive, negative: negative, k: k, index: $0, ef: ef ?? 100) }
                ?? store.nearest(positive: positive, negative: negative, k: k, restrict: restrict, threads: threads)
            return (reply(positive: positive, negative: negative, neighbours: neighbours), true)
        } catch {
            return failure(error, fields: ["query": positive, "negative": negative, "oov": [String](), "neighbours": [Any]()])
        }
    }
}

/// `wordpipe analogy A B C`: A is to B as C is to ?
struct Analogy: ParsableCommand, QueryCommand {
    static let configuration = CommandConfiguration(
        abstract: "Analogies: A is to B as C is to ? (3CosAdd or 3CosMul).",
        discussion: "Without A B C, reads one analogy per line from stdin (`A B C`) and answers each line at once, as nearest does.")
    static let name = "analogy"

    @Option(help: "Vector file.")
    var vectors: String
    @Argument(help: "A B C, or none to read them from stdin.")
    var words: [String] = []
    @Option(name: .short, help: "How many answers.")
    var k: Int = 5
    @Option(help: "add (3CosAdd) or mul (3CosMul).")
    var method: AnalogyMethod = .add
    @Option(help: "Search only the N most frequent words.")
    var restrict: Int?
    @Flag(help: "JSON output.")
    var json = false
    @Flag(inversion: .prefixedNo, help: "Words not in the vocabulary get the mean of their character n-gram vectors, when the vectors have subwords (train --subwords); --no-oov answers them as unknown.")
    var oov = true

    var arguments: [String] { words }

    func validate() throws {
        if !words.isEmpty && words.count != 3 { throw ValidationError("give three words, A B C (A is to B as C is to ?), not \(words.count)") }
        if k < 1 { throw ValidationError("-k must be at least 1, not \(k)") }
    }

    func run() throws { try runQueries() }

    func answer(_ store: VectorStore, words: [String]) -> (QueryAnswer, answered: Bool) {
        let fields: [String: Any] = ["query": words, "method": method.rawValue, "neighbours": [Any]()]
        guard words.count == 3 else {
            return failure(QueryError.invalid("expected three words, A B C, not \(words.count)"), fields: fields)
        }
        do {
            let answers = try store.analogy(words[0], words[1], words[2], k: k, method: method, restrict: restrict)
            if json {
                return (.json(["query": words, "method": method.rawValue, "neighbours": answers.map { ["word": $0.word, "score": $0.score] }]), true)
            }
            return (.text("\(words[0]) : \(words[1]) :: \(words[2]) : " + answers.map { String(format: "%@ %.3f", $0.word, $0.score) }.joined(separator: ", ")), true)
        } catch {
            return failure(error, fields: fields)
        }
    }
}

/// `wordpipe similarity W1 W2`.
struct Similarity: ParsableCommand, QueryCommand {
    static let configuration = CommandConfiguration(
        abstract: "Cosine similarity of two words.",
        discussion: "Without W1 W2, reads one pair per line from stdin and answers each line at once, as nearest does.")
    static let name = "similarity"

    @Option(help: "Vector file.")
    var vectors: String
    @Argument(help: "W1 W2, or none to read pairs from stdin.")
    var words: [String] = []
    @Flag(help: "JSON output.")
    var json = false
    @Flag(inversion: .prefixedNo, help: "Words not in the vocabulary get the mean of their character n-gram vectors, when the vectors have subwords (train --subwords); --no-oov answers them as unknown.")
    var oov = true

    var arguments: [String] { words }

    func validate() throws {
        if !words.isEmpty && words.count != 2 { throw ValidationError("give two words, not \(words.count)") }
    }

    func run() throws { try runQueries() }

    func answer(_ store: VectorStore, words: [String]) -> (QueryAnswer, answered: Bool) {
        guard words.count == 2 else {
            return failure(QueryError.invalid("expected two words, not \(words.count)"), fields: ["words": words])
        }
        do {
            let similarity = try store.similarity(words[0], words[1])
            return (json ? .json(["words": words, "similarity": similarity]) : .text(String(format: "%.4f", similarity)), true)
        } catch {
            return failure(error, fields: ["words": words])
        }
    }
}

/// `wordpipe evaluate`: analogy accuracy and word-pair correlations.
struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Evaluate vectors on analogy questions and word-pair similarities (as gensim).")
    @Option(help: "Vector file.")
    var vectors: String
    @Option(name: .customLong("analogies"), help: "Questions file (`: section` headers, `a b c d` lines); repeatable.")
    var analogies: [String] = []
    @Option(name: .customLong("pairs"), help: "Word pairs with human scores (WordSim-353, SimLex-999); repeatable.")
    var pairs: [String] = []
    @Option(help: "Only the N most frequent words (word2vec's compute-accuracy uses 30000).")
    var restrict: Int = EvaluationConfiguration().restrict
    @Flag(inversion: .prefixedNo, help: "Compare words case-insensitively, as gensim.")
    var caseInsensitive = EvaluationConfiguration().caseInsensitive
    @Option(help: "Word pairs with a word outside the vocabulary: skip (gensim's and fastText's default) or ngrams (score it with its character n-gram vector, when the vectors have subwords). Analogy questions are always skipped.")
    var oov: EvaluationConfiguration.OOVPolicy = EvaluationConfiguration().oov
    @Flag(help: "JSON output.")
    var json = false

    var stageConfiguration: EvaluationConfiguration {
        EvaluationConfiguration(analogies: analogies, pairs: pairs, restrict: restrict, caseInsensitive: caseInsensitive, oov: oov)
    }

    func validate() throws {
        do { try stageConfiguration.validate() } catch { throw ValidationError("give --analogies FILE and/or --pairs FILE; \(error)") }
    }

    func run() throws {
        do {
            let results = try loadStore(vectors, stage: "evaluate").evaluate(stageConfiguration)
            if json { printJSON(results.dictionary) } else { results.lines.forEach { emit($0) } }
        } catch {
            throw StageFailure(stage: "evaluate", underlying: error)
        }
    }
}

/// `wordpipe convert`: between vector formats.
struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Convert vectors between formats (projector: a directory with vectors.tsv and metadata.tsv).")
    @Argument(help: "Input vector file (format detected).")
    var input: String
    @Option(name: .shortAndLong, help: "Output path.")
    var output: String
    @Option(help: "Output format (default: from -o's extension: .wpv native, .bin word2vec-bin, .txt word2vec-text, .vec fasttext).")
    var format: VectorFileFormat?
    @Option(help: "Keep only the N most frequent words.")
    var limit: Int?

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1, not \(limit)") }
        try validateConfiguration { _ = try VectorFileFormat.choose(given: format, path: output, fallback: nil) }
    }

    func run() throws {
        do {
            let (vectors, report) = try WordVectors.load(from: input)
            reportInvalidWords(report, path: input, stage: "convert")
            let format = try VectorFileFormat.choose(given: format, path: output, fallback: nil)
            try vectors.limited(to: limit).save(to: output, format: format)
            StandardError.write("convert: \(min(limit ?? Int.max, vectors.vocabulary.count)) vectors of \(vectors.dim) from \(report.format.rawValue) to \(format.rawValue)\n")
        } catch {
            throw StageFailure(stage: "convert", underlying: error)
        }
    }
}

/// `wordpipe index VECTORS -o INDEX`: an HNSW graph for approximate `nearest --index`.
struct IndexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Build an HNSW index of a vector file for fast approximate nearest --index (hnswlib's graph).",
        discussion: """
        The index holds the graph only (the vectors stay in VECTORS) and a fingerprint of the \
        vectors: `nearest --vectors VECTORS --index INDEX` refuses an index built from other \
        vectors. With --threads 1 the same vectors and --seed give the same file.
        """)

    @Argument(help: "Vector file (any format nearest reads).")
    var vectors: String
    @Option(name: .shortAndLong, help: "Output index file (.wph).")
    var output: String
    @Option(help: "Links per node (2M on the bottom level), as hnswlib's M.")
    var m: Int = HNSWIndex.Settings().m
    @Option(name: .customLong("ef-construction"), help: "Candidates kept while inserting a node, as hnswlib's ef_construction.")
    var efConstruction: Int = HNSWIndex.Settings().efConstruction
    @Option(help: "Seed of the random levels.")
    var seed: UInt64 = 1
    @Option(help: "Build threads (default: all cores; the graph is reproducible with 1).")
    var threads: Int?

    func validate() throws {
        if m < 2 || m > 1024 { throw ValidationError("--m must be between 2 and 1024, not \(m) (hnswlib's usual values are 12 to 48)") }
        if efConstruction < 1 || efConstruction > 1_000_000 { throw ValidationError("--ef-construction must be between 1 and 1000000, not \(efConstruction)") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, not \(threads)") }
    }

    func run() throws {
        do {
            let store = try loadStore(vectors, stage: "index")
            let start = Date()
            let settings = HNSWIndex.Settings(m: m, efConstruction: efConstruction, seed: seed,
                                              threads: threads ?? ProcessInfo.processInfo.activeProcessorCount)
            let graph = try HNSWIndex.build(store, settings: settings)
            try graph.write(to: output)
            let megabytes = Double(graph.byteCount) / 1e6
            StandardError.write(String(format: "index: %d words of dim %d, M %d, ef-construction %d, %d levels, %.1f MB in %.1f s (%d threads) -> ",
                                       store.count, store.dim, m, efConstruction, graph.maxLevel + 1, megabytes,
                                       Date().timeIntervalSince(start), settings.threads) + output + "\n")
        } catch {
            throw StageFailure(stage: "index", underlying: error)
        }
    }
}
