import Foundation
import Embeddings
import Recurrent
import WordPipeSupport

/// A task's training data, read from its files and labeled: what the generic trainer
/// (`TrainingLoop.train`) needs from every task, whatever its examples look like.
struct TaskData<Gold> {
    /// The training examples' tokens (the words the model's table is built from).
    var tokens: [[String]]
    /// Their training labels, one per example (a tag per token, or one label).
    var gold: [Gold]
    /// The labels the output layer predicts, by id.
    var labels: [String]
    /// The dev examples' tokens.
    var devTokens: [[String]]
    /// Their gold labels, as predictions are scored.
    var devGold: [Gold]
    /// Training examples left out by a length limit (encoder-decoders' `max_length`).
    var dropped = 0
}

/// Where a task's training or dev data is: the files it is read from, in order (recorded in
/// checkpoints so that a resumed run reads the same data).
protocol TrainingDataLocation {
    /// The files.
    var files: [String] { get }
}

extension String: TrainingDataLocation {
    var files: [String] { [self] }
}

/// A dev score: one number to select the epoch on, within the full metrics.
protocol SelectionMetrics: Codable, Sendable {
    /// The number the trainer selects on.
    var main: Double { get }
    /// Whether a higher `main` is better (F1, accuracy) or a lower one (perplexity). Default: higher.
    static var higherIsBetter: Bool { get }
}

extension SelectionMetrics {
    static var higherIsBetter: Bool { true }
}

/// How the shared loop (`TrainingLoop.run`) orders a task's batches and schedules its step size.
struct TrainingPlan {
    /// Batches in data order, `batch` consecutive examples each, instead of shuffled length
    /// buckets: for tasks whose examples continue one another (a language model's segments carry
    /// their recurrent state to the next batch). Default: false.
    var inOrder = false
    /// SGD's momentum. Default: 0.9.
    var momentum = 0.9
    /// The step size of an epoch (1-based) from the base rate; default: NCRF++'s
    /// `lr / (1 + 0.05 · (epoch − 1))` for SGD, constant for Adam.
    var rate: @Sendable (_ optimizer: OptimizerKind, _ base: Double, _ epoch: Int) -> Double = { optimizer, base, epoch in
        optimizer == .sgd ? base / (1 + 0.05 * Double(epoch - 1)) : base
    }

    /// Zaremba's step decay: `base` for `after` epochs, then divided by `divisor` each epoch
    /// (`epoch` 1-based).
    static func stepDecay(base: Double, divisor: Double, after: Int, epoch: Int) -> Double {
        base / Foundation.pow(divisor, Double(max(epoch - after, 0)))
    }
}

extension TaggerScore: SelectionMetrics {}

extension ClassificationMetrics: SelectionMetrics {
    var main: Double { accuracy }
}

/// A trainable model type: what `TrainingLoop.train`, `save` and `load` need from a task, in the
/// spirit of spaCy's `TrainablePipe` and fastText's `Loss`. Taggers (a label per token) and
/// classifiers (a label per text) conform; a new model type conforms and gets the training loop
/// (bucketed batches, batch-parallel replicas, optimizer, clipping, dev selection, patience, the
/// per-epoch line), the model file and inference over threads without copying them.
///
/// Every model of the family embeds words from a `WordTable` (its first parameter is the
/// embedding table) and predicts over a list of `labels`.
protocol TrainableModel: Replicable {
    /// Everything that decides a trained model (flat snake_case keys in pipeline files).
    associatedtype Configuration: Codable & Sendable & Equatable
    /// The examples of one data file as read.
    associatedtype Examples
    /// Where a training or dev set is: one file (`String`, every task but encoder-decoders) or
    /// several read together (a source and a target file).
    associatedtype DataLocation: TrainingDataLocation = String
    /// The label of one example, gold or predicted: a tag per token, or one label.
    associatedtype Gold
    /// The full dev metrics.
    associatedtype Metrics: SelectionMetrics
    /// The training examples encoded for the network, from which batches are cut.
    associatedtype Encoded

    // MARK: Configuration and header

    /// The model type's name in the model-file header's task section (`tagger`): the key
    /// `ModelTypes` finds the type by.
    static var typeName: String { get }
    /// The settings it was built with.
    var configuration: Configuration { get }
    /// The network and training settings of a configuration.
    static func settings(of configuration: Configuration) -> EncoderSettings
    /// The words it knows.
    var words: WordTable { get }
    /// The parameters the optimizer updates (`allParameters` holds every one, in model-file order).
    var trainableParameters: [Parameter<Float>] { get }
    /// The labels, by id.
    var labels: [String] { get }
    /// The task's own fields of the model-file header, beside `type` in its task section: the
    /// configuration and whatever else the model is rebuilt from.
    associatedtype Section: Codable & Sendable
    /// This model's section.
    var section: Section { get }
    /// The configuration in a section.
    static func configuration(of section: Section) -> Configuration
    /// The command that applies a model of this task (named when another task's file is given).
    static var applyCommand: String { get }
    /// For `wordpipe inspect`: the section's own fields (shown after the encoder's), besides its
    /// configuration.
    static func describe(section: Section) -> [ArtifactDescription.Field]
    /// The model a header describes, its weights not yet read (`initial` is the embedding
    /// table's shape).
    static func build(header: ModelFile.Header<Section>, initial: Matrix<Float>) -> Self

    // MARK: Data

    /// Reads the training and dev files; an error names the file when either has no examples.
    static func readTraining(trainPath: DataLocation, devPath: DataLocation, configuration: Configuration) throws -> (train: Examples, dev: Examples)
    /// The tokens and labels of the examples read; `vectors` are those the model starts from
    /// (their tokenizer configuration may decide how texts are split).
    static func taskData(train: Examples, dev: Examples, vectors: WordVectors?, configuration: Configuration) throws -> TaskData<Gold>
    /// A new model to train: the word table and its initial embeddings are built from the data.
    static func make(configuration: Configuration, words: WordTable, initial: Matrix<Float>, data: TaskData<Gold>,
                     vectors: WordVectors?) -> Self
    /// The training log's line on the data.
    func dataLine(_ data: TaskData<Gold>) -> String

    /// Reads a labeled file to score the model on: each example's tokens and gold label. A gold
    /// label the model cannot predict is an error naming its line.
    func readLabeled(_ path: String) throws -> (tokens: [[String]], gold: [Gold])

    // MARK: Batches, loss and gradients

    /// Encodes the training examples (`ids`: their tokens' rows in `words`).
    func encode(_ data: TaskData<Gold>, ids: [[Int32]]) -> Encoded
    /// Forward and backward over the examples at `batch` (indices into `encoded`); gradients
    /// accumulate; returns the mean loss.
    func lossAndGradients(_ batch: [Int], of encoded: Encoded) -> Double
    /// What the loss is a mean over, for examples of these lengths (tokens, sentences or texts).
    func lossUnits(lengths: [Int]) -> Int
    /// State carried from batch to batch in `encoded` besides the weights (a language model's
    /// streams), kept in checkpoints so that a resume inside an epoch is exact; none by default.
    func carriedState(of encoded: Encoded) -> [Parameter<Float>]
    /// Sets the carried state back from a checkpoint (matrices in `carriedState`'s order and shapes).
    func restoreCarriedState(_ values: [Matrix<Float>], of encoded: Encoded)

    // MARK: Prediction and score

    /// Predicts the labels of tokenized examples, spread over `threads`.
    func predict(_ inputs: [[String]], threads: Int) -> [Gold]
    /// Scores predictions against gold labels.
    func score(gold: [Gold], predicted: [Gold]) -> Metrics
    /// The name of the main dev metric (`dev_NAME` in the per-epoch line).
    var metricName: String { get }

    // MARK: Hooks with defaults

    /// Batch order and step-size schedule (default: `TrainingPlan()`).
    static func plan(of configuration: Configuration) -> TrainingPlan
    /// The dev score of an epoch (default: `score` of `predict` on the dev examples).
    func devScore(_ data: TaskData<Gold>, threads: Int) -> Metrics
    /// Extra figures for the per-epoch line from the epoch's mean training loss (default: none).
    func epochFigures(meanLoss: Double) -> String
    /// The bound `a` of the uniform(±a) draw of word rows that start at random, for vectors of
    /// `dim` (default √(3/dim), NCRF++'s: variance 1/dim).
    static func randomEmbeddingLimit(dim: Int, withVectors: Bool) -> Double
}

extension TrainableModel {
    static func plan(of configuration: Configuration) -> TrainingPlan { TrainingPlan() }

    static func randomEmbeddingLimit(dim: Int, withVectors: Bool) -> Double { (3.0 / Double(dim)).squareRoot() }

    func devScore(_ data: TaskData<Gold>, threads: Int) -> Metrics {
        score(gold: data.devGold, predicted: predict(data.devTokens, threads: threads))
    }

    func epochFigures(meanLoss: Double) -> String { "" }

    func carriedState(of encoded: Encoded) -> [Parameter<Float>] { [] }
    func restoreCarriedState(_ values: [Matrix<Float>], of encoded: Encoded) {}
}

extension TrainableModel {
    /// Saves the model (with `record`) to `path`, atomically.
    func saveModel(to path: String, record: TrainingRecord?) throws {
        let header = ModelFile.Header(task: .init(type: Self.typeName, fields: section), tokenizer: words.tokenizer,
                                      words: words.words, labels: labels, training: record,
                                      fromVectors: ModelFile.Header<Section>.packBits(words.fromVectors))
        try ModelFile.write(header: header, parameters: allParameters, to: path)
    }

    /// Predicts the examples of a labeled file and scores them; returns the metrics and the
    /// examples' tokens.
    func evaluate(path: String) throws -> (metrics: Metrics, tokens: [[String]]) {
        let (tokens, gold) = try readLabeled(path)
        let predicted = predict(tokens, threads: 1)
        try Interruption.check()
        return (score(gold: gold, predicted: predicted), tokens)
    }

    /// Loads a model of this task; refuses other files with the reason.
    static func loadModel(from path: String) throws -> (Self, TrainingRecord?) {
        try ModelFile.load(path, as: Self.self)
    }
}
