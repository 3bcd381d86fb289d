import Foundation

/// Precision, recall and F1 of one class (or of all, micro-averaged), with the counts they come from.
///
/// Each ratio is 0 when its denominator is 0, as seqeval's and scikit-learn's `zero_division`
/// default gives (they also warn).
public struct PRF: Codable, Sendable, Equatable {
    /// correct / predicted.
    public var precision: Double
    /// correct / support.
    public var recall: Double
    /// The harmonic mean of precision and recall.
    public var f1: Double
    /// How many the gold data holds.
    public var support: Int
    /// How many were predicted.
    public var predicted: Int
    /// How many predictions were right.
    public var correct: Int

    /// Creates a record with the ratios given.
    public init(precision: Double, recall: Double, f1: Double, support: Int, predicted: Int, correct: Int) {
        self.precision = precision
        self.recall = recall
        self.f1 = f1
        self.support = support
        self.predicted = predicted
        self.correct = correct
    }

    /// The ratios from the counts, F1 as seqeval computes it: `2PR / (P + R)`, 0 when P + R is 0.
    public init(correct: Int, predicted: Int, support: Int) {
        let precision = ratio(correct, predicted)
        let recall = ratio(correct, support)
        let sum = precision + recall
        self.init(precision: precision, recall: recall, f1: sum == 0 ? 0 : 2 * precision * recall / sum,
                  support: support, predicted: predicted, correct: correct)
    }

    /// The ratios from the counts, F1 as scikit-learn (1.3 and later) computes it: `2TP / (support + predicted)`.
    static func fromConfusion(correct: Int, predicted: Int, support: Int) -> PRF {
        PRF(precision: ratio(correct, predicted), recall: ratio(correct, support),
            f1: ratio(2 * correct, support + predicted), support: support, predicted: predicted, correct: correct)
    }
}

/// `numerator / denominator`, or 0 when the denominator is 0.
@inline(__always)
func ratio(_ numerator: Int, _ denominator: Int) -> Double {
    denominator == 0 ? 0 : Double(numerator) / Double(denominator)
}

/// The share of tokens whose predicted tag equals the gold tag.
public struct TokenAccuracy: Codable, Sendable, Equatable {
    /// correct / tokens (0 without tokens).
    public var accuracy: Double
    /// Tokens tagged right.
    public var correct: Int
    /// Tokens scored.
    public var tokens: Int

    /// Compares the tags token by token. `gold` and `predicted` must have the same shape.
    public init(gold: [[String]], predicted: [[String]]) {
        precondition(gold.count == predicted.count, "TokenAccuracy: \(gold.count) gold sentences, \(predicted.count) predicted")
        var correct = 0, tokens = 0
        for (goldTags, predictedTags) in zip(gold, predicted) {
            precondition(goldTags.count == predictedTags.count, "TokenAccuracy: sentence lengths differ")
            tokens += goldTags.count
            for (g, p) in zip(goldTags, predictedTags) where g == p { correct += 1 }
        }
        self.correct = correct
        self.tokens = tokens
        self.accuracy = ratio(correct, tokens)
    }
}

/// Chunk (entity) precision, recall and F1, micro-averaged and per type, with token accuracy:
/// the numbers of conlleval.pl and of seqeval's `classification_report` (default mode).
///
/// An entity is correct only when its type and both boundaries match a gold entity. Entities are
/// found by ``Chunks/entities(_:)``. For tags that are not chunk tags (part of speech) there are
/// no entities and ``tokenAccuracy`` is the measure.
///
/// ```swift
/// let metrics = ChunkMetrics(gold: [["B-PER", "I-PER", "O"]], predicted: [["B-PER", "O", "O"]])
/// metrics.micro.f1       // 0
/// metrics.tokenAccuracy  // 2/3
/// ```
public struct ChunkMetrics: Codable, Sendable, Equatable {
    /// Over all entities (seqeval's `average="micro"`, conlleval's overall line).
    public var micro: PRF
    /// Per entity type, for every type in the gold or the predicted tags.
    public var perType: [String: PRF]
    /// The share of tokens whose whole tag is right (conlleval's `accuracy`).
    public var tokenAccuracy: Double
    /// Tokens scored.
    public var tokens: Int

    enum CodingKeys: String, CodingKey {
        case micro
        case perType = "per_type"
        case tokenAccuracy = "token_accuracy"
        case tokens
    }

    /// Scores gold vs predicted tag sequences (same shapes). An entity is correct only when type and both boundaries match.
    ///
    /// - Precondition: `gold` and `predicted` hold as many sentences, each of the same length.
    /// - Complexity: O(n) in the number of tokens.
    public init(gold: [[String]], predicted: [[String]]) {
        let accuracy = TokenAccuracy(gold: gold, predicted: predicted)
        var supportByType: [String: Int] = [:], predictedByType: [String: Int] = [:], correctByType: [String: Int] = [:]
        for (goldTags, predictedTags) in zip(gold, predicted) {
            let goldEntities = Chunks.entities(goldTags)
            let predictedEntities = Chunks.entities(predictedTags)
            for entity in goldEntities { supportByType[entity.type, default: 0] += 1 }
            for entity in predictedEntities { predictedByType[entity.type, default: 0] += 1 }
            // Chunks never overlap, so a set of gold entities suffices.
            let goldSet = Set(goldEntities)
            for entity in predictedEntities where goldSet.contains(entity) { correctByType[entity.type, default: 0] += 1 }
        }
        var perType: [String: PRF] = [:]
        for type in Set(supportByType.keys).union(predictedByType.keys) {
            perType[type] = PRF(correct: correctByType[type] ?? 0, predicted: predictedByType[type] ?? 0,
                                support: supportByType[type] ?? 0)
        }
        self.micro = PRF(correct: correctByType.values.reduce(0, +), predicted: predictedByType.values.reduce(0, +),
                         support: supportByType.values.reduce(0, +))
        self.perType = perType
        self.tokenAccuracy = accuracy.accuracy
        self.tokens = accuracy.tokens
    }

    /// The entity types, sorted.
    public var types: [String] { perType.keys.sorted() }

    /// One JSON object with sorted keys: `{"micro": …, "per_type": …, "token_accuracy": …, "tokens": …}`.
    public func jsonString() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// The report as conlleval.pl prints it:
    ///
    /// ```
    /// processed 51362 tokens with 5942 phrases; found: 5939 phrases; correct: 5250.
    /// accuracy:  97.64%; precision:  88.40%; recall:  88.35%; FB1:  88.38
    ///               LOC: precision:  91.52%; recall:  91.56%; FB1:  91.54  1839
    /// ```
    ///
    /// The number after each type's FB1 is how many chunks of that type were predicted, as in conlleval.
    public func report() -> String {
        var lines = ["processed \(tokens) tokens with \(micro.support) phrases; found: \(micro.predicted) phrases; correct: \(micro.correct)."]
        if tokens > 0 {
            lines.append("accuracy: \(percent(tokenAccuracy))%; precision: \(percent(micro.precision))%; "
                         + "recall: \(percent(micro.recall))%; FB1: \(percent(micro.f1))")
        }
        for type in types {
            guard let scores = perType[type] else { continue }
            let name = String(repeating: " ", count: max(0, 17 - type.count)) + type
            lines.append("\(name): precision: \(percent(scores.precision))%; recall: \(percent(scores.recall))%; "
                         + "FB1: \(percent(scores.f1))  \(scores.predicted)")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// `%6.2f` of 100 × `value`, as conlleval.pl prints percentages.
func percent(_ value: Double) -> String {
    String(format: "%6.2f", 100 * value)
}

/// Accuracy, per-class precision/recall/F1, macro F1 and the confusion matrix of a text classifier,
/// as scikit-learn's `accuracy_score`, `precision_recall_fscore_support`, `f1_score(average="macro")`
/// and `confusion_matrix` compute them.
public struct ClassificationMetrics: Codable, Sendable, Equatable {
    /// The share of items whose predicted label is the gold label (0 without items).
    public var accuracy: Double
    /// As sklearn `f1_score(average="macro")`: the unweighted mean of the per-class F1 over the labels that occur in gold or predictions.
    public var macroF1: Double
    /// Per label, for every label in ``labels``; `support` is the gold count.
    public var perClass: [String: PRF]
    /// Every label in the gold or the predictions, sorted.
    public var labels: [String]
    /// `confusion[gold][predicted]`, both indexed in ``labels`` order.
    public var confusion: [[Int]]

    enum CodingKeys: String, CodingKey {
        case accuracy
        case macroF1 = "macro_f1"
        case perClass = "per_class"
        case labels
        case confusion
    }

    /// Scores one predicted label per item against the gold labels.
    ///
    /// - Precondition: `gold.count == predicted.count`.
    public init(gold: [String], predicted: [String]) {
        precondition(gold.count == predicted.count, "ClassificationMetrics: \(gold.count) gold labels, \(predicted.count) predicted")
        let labels = Set(gold).union(predicted).sorted()
        var index: [String: Int] = [:]
        for (position, label) in labels.enumerated() { index[label] = position }
        var confusion = Array(repeating: Array(repeating: 0, count: labels.count), count: labels.count)
        var correct = 0
        for (g, p) in zip(gold, predicted) {
            guard let row = index[g], let column = index[p] else { continue }
            confusion[row][column] += 1
            if row == column { correct += 1 }
        }
        var perClass: [String: PRF] = [:]
        var f1Sum = 0.0
        for (position, label) in labels.enumerated() {
            let support = confusion[position].reduce(0, +)
            let predictedCount = confusion.reduce(0) { $0 + $1[position] }
            let scores = PRF.fromConfusion(correct: confusion[position][position], predicted: predictedCount, support: support)
            perClass[label] = scores
            f1Sum += scores.f1
        }
        self.accuracy = ratio(correct, gold.count)
        self.macroF1 = labels.isEmpty ? 0 : f1Sum / Double(labels.count)
        self.perClass = perClass
        self.labels = labels
        self.confusion = confusion
    }

    /// One JSON object with sorted keys.
    public func jsonString() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
