import Foundation
import WordPipeSupport

/// The result of an analogy evaluation (gensim's `evaluate_word_analogies`).
public struct AnalogyEvaluation: Sendable, Codable, Equatable {
    /// One `: section` of the questions file.
    public struct Section: Sendable, Codable, Equatable {
        public var name: String
        public var correct: Int
        public var incorrect: Int
        /// Questions skipped because a word is outside the (restricted) vocabulary.
        public var skipped: Int
        /// correct / (correct + incorrect), or 0.
        public var accuracy: Double { correct + incorrect > 0 ? Double(correct) / Double(correct + incorrect) : 0 }
        /// Sections whose name starts with `gram` are syntactic (word2vec's file), the rest semantic.
        public var isSyntactic: Bool { name.hasPrefix("gram") }
    }

    public var sections: [Section]
    /// All sections together.
    public var total: Section { sum(sections, name: "total") }
    /// Semantic sections together.
    public var semantic: Section { sum(sections.filter { !$0.isSyntactic }, name: "semantic") }
    /// Syntactic sections together.
    public var syntactic: Section { sum(sections.filter(\.isSyntactic), name: "syntactic") }

    private func sum(_ sections: [Section], name: String) -> Section {
        Section(name: name, correct: sections.reduce(0) { $0 + $1.correct }, incorrect: sections.reduce(0) { $0 + $1.incorrect },
                skipped: sections.reduce(0) { $0 + $1.skipped })
    }
}

/// The result of a word-pair similarity evaluation (gensim's `evaluate_word_pairs`).
public struct PairEvaluation: Sendable, Codable, Equatable {
    /// Pearson correlation of model cosines with human scores.
    public var pearson: Double
    /// Spearman rank correlation (ties get average ranks).
    public var spearman: Double
    /// Pairs evaluated.
    public var pairs: Int
    /// Pairs skipped because a word is outside the vocabulary.
    public var skipped: Int
    /// skipped / all pairs.
    public var oovRatio: Double { pairs + skipped > 0 ? Double(skipped) / Double(pairs + skipped) : 0 }
}

extension VectorStore {
    /// The (restricted) vocabulary of evaluations: word → id among the first `restrict` ids,
    /// upper-cased when case-insensitive; of words that fold together, the most frequent wins.
    func evaluationVocabulary(restrict: Int?, caseInsensitive: Bool) -> [String: Int32] {
        let limit = min(count, restrict ?? count)
        var result: [String: Int32] = [:]
        for id in stride(from: limit - 1, through: 0, by: -1) {
            let word = vocabulary.words[id]
            result[caseInsensitive ? word.uppercased() : word] = Int32(id)
        }
        return result
    }

    /// Evaluates analogies from a questions file (`: section` headers, then `a b c d` lines),
    /// as gensim does: 3CosAdd over the `restrict` most frequent words, a, b and c never
    /// answers, questions with a word outside that vocabulary skipped and counted.
    public func evaluateAnalogies(path: String, restrict: Int? = 300_000, caseInsensitive: Bool = true) throws -> AnalogyEvaluation {
        let text = try readEvaluationFile(path)
        let known = evaluationVocabulary(restrict: restrict, caseInsensitive: caseInsensitive)
        let rows = min(count, restrict ?? count)
        var sections: [AnalogyEvaluation.Section] = []
        var queries: [[Float]] = []
        var questions: [(section: Int, ids: [Int32], words: [String])] = []
        for (index, rawLine) in Self.lines(text).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty { continue }
            if line.hasPrefix(":") {
                sections.append(.init(name: line.dropFirst().trimmingCharacters(in: .whitespaces), correct: 0, incorrect: 0, skipped: 0))
                continue
            }
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map { caseInsensitive ? $0.uppercased() : String($0) }
            guard words.count == 4 else {
                throw EmbeddingError.malformed(location: SourceLocation(path: path, line: index + 1), message: "expected 4 words, got \(words.count)")
            }
            if sections.isEmpty { sections.append(.init(name: "(no section)", correct: 0, incorrect: 0, skipped: 0)) }
            let ids = words.compactMap { known[$0] }
            guard ids.count == 4 else {
                sections[sections.count - 1].skipped += 1
                continue
            }
            var query = [Float](repeating: 0, count: dim)
            for (id, sign) in [(ids[1], Float(1)), (ids[2], 1), (ids[0], -1)] {
                for (offset, value) in unitVector(id).enumerated() { query[offset] += sign * value }
            }
            queries.append(query)
            questions.append((sections.count - 1, ids, words))
        }
        // Answer in batches (matrix products); the best word not among a, b, c is the answer.
        let answers = nearest(to: queries, k: 8, restrict: rows, excluding: questions.map { Set($0.ids.prefix(3)) })
        for (question, answer) in zip(questions, answers) {
            // As gensim: the first answer that is not a, b or c (compared case-folded when asked).
            let ignore = Set(question.words.prefix(3))
            let predicted = answer.lazy.map { caseInsensitive ? $0.word.uppercased() : $0.word }.first { !ignore.contains($0) }
            if predicted == question.words[3] { sections[question.section].correct += 1 } else { sections[question.section].incorrect += 1 }
        }
        return AnalogyEvaluation(sections: sections)
    }

    /// Evaluates word-pair similarities against human scores. Lines starting with `#` are
    /// comments; fields are split at tabs (else spaces); the score is the first numeric field
    /// after the two words (so WordSim-353 and SimLex-999 both read); a header line is skipped.
    /// With `oov: .ngrams`, a word outside the restricted vocabulary is scored with its row
    /// when it has one, else with the mean of its n-gram rows (vectors with subwords), as
    /// fastText scores it; a pair is skipped only when a word has neither.
    public func evaluatePairs(path: String, restrict: Int? = 300_000, caseInsensitive: Bool = true,
                              oov: EvaluationConfiguration.OOVPolicy = .skip) throws -> PairEvaluation {
        let text = try readEvaluationFile(path)
        let known = evaluationVocabulary(restrict: restrict, caseInsensitive: caseInsensitive)
        var human: [Double] = []
        var model: [Double] = []
        var skipped = 0
        for (index, rawLine) in Self.lines(text).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.contains("\t") ? line.split(separator: "\t").map(String.init) : line.split(separator: " ").map(String.init)
            guard fields.count >= 3 else {
                throw EmbeddingError.malformed(location: SourceLocation(path: path, line: index + 1), message: "expected two words and a score")
            }
            guard let score = fields.dropFirst(2).lazy.compactMap({ Double($0.trimmingCharacters(in: .whitespaces)) }).first else {
                if index == 0 || human.isEmpty && skipped == 0 { continue }  // a header line
                throw EmbeddingError.malformed(location: SourceLocation(path: path, line: index + 1), message: "no numeric score")
            }
            let (a, b) = caseInsensitive ? (fields[0].uppercased(), fields[1].uppercased()) : (fields[0], fields[1])
            guard let ia = known[a], let ib = known[b] else {
                if oov == .ngrams, subwordShape != nil {
                    // The words as the vectors spell them (lower case when compared case-insensitively, as fastText's eval).
                    let words = caseInsensitive ? [fields[0].lowercased(), fields[1].lowercased()] : [fields[0], fields[1]]
                    let vectors = words.enumerated().map { position, word -> [Float]? in
                        if let id = known[position == 0 ? a : b] ?? id(of: word) { return Array(unitVector(id)) }
                        guard let vector = ngramVector(word) else { return nil }
                        let norm = (vector.reduce(Float(0)) { $0 + $1 * $1 }).squareRoot()
                        return norm > 0 ? vector.map { $0 / norm } : vector
                    }
                    if let first = vectors[0], let second = vectors[1] {
                        human.append(score)
                        model.append(Double(zip(first, second).reduce(Float(0)) { $0 + $1.0 * $1.1 }))
                        continue
                    }
                }
                skipped += 1
                continue
            }
            human.append(score)
            model.append(Double(zip(unitVector(ia), unitVector(ib)).reduce(Float(0)) { $0 + $1.0 * $1.1 }))
        }
        // Correlations need two points: a file read as fewer was not read as meant. (Fewer than
        // two pairs inside the vocabulary give nan, as in gensim, with the pairs and OOV counted.)
        if human.count + skipped < 2 {
            throw EmbeddingError.malformed(location: SourceLocation(path: path), message: """
                read as \(human.count + skipped) word pair\(human.count + skipped == 1 ? "" : "s"); a pair file needs at least 2 lines \
                of `word1 word2 score` (fields separated by tabs or spaces)
                """)
        }
        return PairEvaluation(pearson: Statistics.pearson(human, model), spearman: Statistics.spearman(human, model),
                              pairs: human.count, skipped: skipped)
    }

    /// The lines of an evaluation file, ended by LF, CRLF or CR (Python's universal newlines,
    /// as gensim reads them). A Swift `String` keeps CRLF as one `Character`, so splitting at
    /// "\n" alone would leave a CRLF file as one line.
    static func lines(_ text: String) -> [Substring] {
        text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" })
    }

    private func readEvaluationFile(_ path: String) throws -> String {
        if let what = FileKinds.notText(path: path) {
            throw EmbeddingError.malformed(location: SourceLocation(path: path),
                                           message: "this is \(what), not an evaluation file; give analogy questions (`: section`, then `a b c d` lines) or word pairs with scores")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw EmbeddingError.malformed(location: SourceLocation(path: path), message: "cannot read the file")
        }
        return String(decoding: data, as: UTF8.self)
    }
}

/// Correlation coefficients.
public enum Statistics {
    /// Pearson's r (nan for fewer than two points or zero variance).
    public static func pearson(_ x: [Double], _ y: [Double]) -> Double {
        let n = Double(x.count)
        guard x.count == y.count, x.count > 1 else { return .nan }
        let mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for (a, b) in zip(x, y) {
            sxy += (a - mx) * (b - my)
            sxx += (a - mx) * (a - mx)
            syy += (b - my) * (b - my)
        }
        return sxy / (sxx * syy).squareRoot()
    }

    /// Spearman's ρ: Pearson's r of the ranks, ties given their average rank (as scipy's `spearmanr`).
    public static func spearman(_ x: [Double], _ y: [Double]) -> Double {
        pearson(ranks(x), ranks(y))
    }

    /// 1-based ranks, ties averaged.
    public static func ranks(_ values: [Double]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var result = [Double](repeating: 0, count: values.count)
        var start = 0
        while start < order.count {
            var end = start
            while end + 1 < order.count && values[order[end + 1]] == values[order[start]] { end += 1 }
            let rank = Double(start + end) / 2 + 1
            for position in start...end { result[order[position]] = rank }
            start = end + 1
        }
        return result
    }
}
