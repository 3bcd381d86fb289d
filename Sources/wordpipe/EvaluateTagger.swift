import ArgumentParser
import Foundation
import Models
import WordPipeSupport

/// `wordpipe evaluate-tagger`: chunk precision/recall/F1 and token accuracy of a tagger's output.
///
/// Each way of getting predictions is one branch of `run()`; today a predictions file in the
/// conlleval layout (`--predictions`), the conlleval.pl equivalent.
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

    @Flag(help: "One JSON object (sorted keys) instead of conlleval's report.")
    var json = false

    func validate() throws {
        if predictions == nil { throw ValidationError("give --predictions FILE") }
    }

    func run() throws {
        do {
            if let predictions {
                try output(try PredictionsFile.score(path: predictions))
            }
        } catch {
            throw StageFailure(stage: "evaluate-tagger", underlying: error)
        }
    }

    /// Prints the scores as JSON or as conlleval's report.
    func output(_ metrics: ChunkMetrics) throws {
        if json {
            emit(try metrics.jsonString())
        } else {
            FileHandle.standardOutput.write(Data(metrics.report().utf8))
        }
    }
}
