import ArgumentParser
import Embeddings
import Foundation
import WordPipeSupport

extension AnalogyMethod: ExpressibleByArgument {}
extension VectorFileFormat: ExpressibleByArgument {}

/// Loads a vector file for a command (native files memory-mapped), reporting invalid words.
func loadStore(_ path: String, stage: String) throws -> VectorStore {
    let (store, report) = try VectorStore.load(from: path)
    reportInvalidWords(report, path: path, stage: stage)
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
    if let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) {
        emit(String(decoding: data, as: UTF8.self))
    }
}

/// `wordpipe nearest`: the nearest words, for the words given or for each line of stdin.
struct Nearest: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Nearest words by cosine similarity (gensim's most_similar).",
        discussion: "Without WORD, reads one query per line from stdin (words separated by spaces; '-word' subtracts) and answers each line at once.")

    @Option(help: "Vector file (native, word2vec binary or text, fastText .vec, GloVe).")
    var vectors: String

    @Argument(help: "Positive query words.")
    var words: [String] = []

    @Option(name: .customLong("negative"), parsing: .upToNextOption, help: "Words to subtract.")
    var negative: [String] = []

    @Option(name: .short, help: "How many answers.")
    var k: Int = 10

    @Option(help: "Search only the N most frequent words.")
    var restrict: Int?

    @Flag(help: "One JSON object per query.")
    var json = false

    func validate() throws {
        if k < 1 { throw ValidationError("-k must be at least 1, not \(k)") }
        if let restrict, restrict < 1 { throw ValidationError("--restrict must be at least 1, not \(restrict)") }
    }

    func run() throws {
        let store: VectorStore
        do { store = try loadStore(vectors, stage: "nearest") } catch { throw StageFailure(stage: "nearest", underlying: error) }
        if !words.isEmpty || !negative.isEmpty {
            if !answer(store, positive: words, negative: negative) { throw ExitCode(1) }
            return
        }
        while let line = readLine() {
            let tokens = line.split(separator: " ").map(String.init)
            if tokens.isEmpty { continue }
            _ = answer(store, positive: tokens.filter { !$0.hasPrefix("-") || $0 == "-" },
                       negative: tokens.filter { $0.hasPrefix("-") && $0 != "-" }.map { String($0.dropFirst()) })
        }
    }

    /// Prints the answer to one query; false when it could not be answered.
    func answer(_ store: VectorStore, positive: [String], negative: [String]) -> Bool {
        do {
            let neighbours = try store.nearest(positive: positive, negative: negative, k: k, restrict: restrict)
            if json {
                printJSON(["query": positive, "negative": negative, "oov": [String](),
                           "neighbours": neighbours.map { ["word": $0.word, "score": $0.score] }])
            } else {
                emit(([positive.joined(separator: " ")] + negative.map { "-" + $0 }).joined(separator: " ") + ": "
                      + neighbours.map { String(format: "%@ %.3f", $0.word, $0.score) }.joined(separator: ", "))
            }
            return true
        } catch let QueryError.unknownWords(missing) {
            if json {
                printJSON(["query": positive, "negative": negative, "oov": missing, "neighbours": [Any]()])
            } else {
                StandardError.write("nearest: not in the vocabulary: \(missing.joined(separator: ", "))\n")
            }
            return false
        } catch {
            StandardError.write("nearest: \(errorMessage(error, naming: .option))\n")
            return false
        }
    }
}

/// `wordpipe analogy A B C`: A is to B as C is to ?
struct Analogy: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Analogies: A is to B as C is to ? (3CosAdd or 3CosMul).")

    @Option(help: "Vector file.")
    var vectors: String
    @Argument var a: String
    @Argument var b: String
    @Argument var c: String
    @Option(name: .short, help: "How many answers.")
    var k: Int = 5
    @Option(help: "add (3CosAdd) or mul (3CosMul).")
    var method: AnalogyMethod = .add
    @Option(help: "Search only the N most frequent words.")
    var restrict: Int?
    @Flag(help: "JSON output.")
    var json = false

    func run() throws {
        do {
            let store = try loadStore(vectors, stage: "analogy")
            let answers = try store.analogy(a, b, c, k: k, method: method, restrict: restrict)
            if json {
                printJSON(["query": [a, b, c], "method": method.rawValue, "neighbours": answers.map { ["word": $0.word, "score": $0.score] }])
            } else {
                print("\(a) : \(b) :: \(c) : " + answers.map { String(format: "%@ %.3f", $0.word, $0.score) }.joined(separator: ", "))
            }
        } catch {
            throw StageFailure(stage: "analogy", underlying: error)
        }
    }
}

/// `wordpipe similarity W1 W2`.
struct Similarity: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Cosine similarity of two words.")
    @Option(help: "Vector file.")
    var vectors: String
    @Argument var first: String
    @Argument var second: String
    @Flag(help: "JSON output.")
    var json = false

    func run() throws {
        do {
            let similarity = try loadStore(vectors, stage: "similarity").similarity(first, second)
            if json { printJSON(["words": [first, second], "similarity": similarity]) } else { print(String(format: "%.4f", similarity)) }
        } catch {
            throw StageFailure(stage: "similarity", underlying: error)
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
    @Flag(help: "JSON output.")
    var json = false

    var stageConfiguration: EvaluationConfiguration {
        EvaluationConfiguration(analogies: analogies, pairs: pairs, restrict: restrict, caseInsensitive: caseInsensitive)
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
    @Option(help: "Output format.")
    var format: VectorFileFormat
    @Option(help: "Keep only the N most frequent words.")
    var limit: Int?

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1, not \(limit)") }
    }

    func run() throws {
        do {
            let (vectors, report) = try WordVectors.load(from: input)
            reportInvalidWords(report, path: input, stage: "convert")
            try vectors.limited(to: limit).save(to: output, format: format)
            StandardError.write("convert: \(min(limit ?? Int.max, vectors.vocabulary.count)) vectors of \(vectors.dim) from \(report.format.rawValue) to \(format.rawValue)\n")
        } catch {
            throw StageFailure(stage: "convert", underlying: error)
        }
    }
}
