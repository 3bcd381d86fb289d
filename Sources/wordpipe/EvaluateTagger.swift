import ArgumentParser
import Corpora
import Foundation
import Models
import WordPipeSupport

/// `wordpipe evaluate-tagger`: chunk precision/recall/F1 and token accuracy of a tagger's output,
/// either a model run on labeled data (`--model --test`) or a predictions file in the conlleval
/// layout (`--predictions`, the conlleval.pl equivalent).
struct EvaluateTagger: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate-tagger",
        abstract: "Score a tagger: entity precision, recall and F1 per type and overall, and token accuracy (as conlleval and seqeval).",
        discussion: """
            --predictions FILE reads the conlleval layout: whitespace-separated columns whose last two are \
            the gold and the predicted tag, blank lines between sentences, -DOCSTART- lines ignored. \
            Chunks are found as conlleval and seqeval's default mode find them (IOB1, IOB2, IOE, BIOES, BILOU); \
            for tags that are not chunk tags (part of speech) token accuracy is the measure.
            """)

    @Option(help: "Predictions file in the conlleval layout (last two columns: gold and predicted tag).")
    var predictions: String?

    @Option(help: "Tagger model file (with --test).")
    var model: String?

    @Option(help: "Labeled data to tag with --model and score (in the model's format and tag column).")
    var test: String?

    @Flag(help: "One JSON object (sorted keys) instead of conlleval's report.")
    var json = false

    func validate() throws {
        switch (predictions, model, test) {
        case (.some, nil, nil), (nil, .some, .some): break
        case (nil, .some, nil): throw ValidationError("--model needs --test FILE")
        case (nil, nil, .some): throw ValidationError("--test needs --model MODEL")
        case (nil, nil, nil): throw ValidationError("give --model MODEL --test FILE, or --predictions FILE")
        default: throw ValidationError("--predictions scores a file of predictions; it does not go with --model/--test")
        }
    }

    func run() throws {
        do {
            if let predictions {
                try output(try PredictionsFile.score(path: predictions))
            } else if let model, let test {
                let tagger = try Tagger.load(from: model).tagger
                // The test data is read in the model's format; a file named for the other one is
                // refused rather than misread.
                if let named = TaggedDataFormat.named(by: test), named != tagger.configuration.format {
                    throw ValidationError("--test \(test) is \(named.rawValue) by its name, but the model reads \(tagger.configuration.format.rawValue) data (the format it was trained on); give the test data in \(tagger.configuration.format.rawValue)")
                }
                let score = try TaggerTraining.evaluate(tagger, path: test)
                try output(score.metrics, unknownRate: score.unknownRate, vectorOOVRate: score.vectorOOVRate)
            }
        } catch {
            throw StageFailure(stage: "evaluate-tagger", underlying: error)
        }
    }

    /// Prints the scores as JSON or as conlleval's report.
    func output(_ metrics: ChunkMetrics, unknownRate: Double? = nil, vectorOOVRate: Double? = nil) throws {
        if json {
            var extra: [String: Any] = [:]
            if let unknownRate { extra["unknown_rate"] = unknownRate }
            if let vectorOOVRate { extra["oov_vectors"] = vectorOOVRate }
            emit(try mergedJSON(try metrics.jsonString(), extra))
        } else {
            FileHandle.standardOutput.write(Data(metrics.report().utf8))
            if let unknownRate {
                emit(String(format: "unknown tokens (neither as written nor normalized in the model's vocabulary): %.2f%%", 100 * unknownRate))
            }
            if let vectorOOVRate { emit(String(format: "OOV against the vectors the model started from: %.2f%% of tokens", 100 * vectorOOVRate)) }
        }
    }
}

/// `json` (one object) with `extra` keys added, keys sorted.
func mergedJSON(_ json: String, _ extra: [String: Any]) throws -> String {
    guard !extra.isEmpty, var object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else { return json }
    object.merge(extra) { _, new in new }
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
    return String(decoding: data, as: UTF8.self)
}
