import Dispatch
import Recurrent
import WordPipeSupport

/// A model that batch-parallel training can copy for its workers.
protocol Replicable: AnyObject, SendableMetatype {
    /// Every parameter, in an order that a replica's list matches one for one.
    var allParameters: [Parameter<Float>] { get }
    /// A copy of the architecture for one worker: the same parameters in the same order, its own
    /// gradients, traces and dropout generators (seeded with `seed`). Its weights are whatever
    /// the caller assigns before each batch.
    func replica(seed: UInt64) -> Self
    /// The states of the generators training draws from (dropout masks, word dropout), for
    /// checkpoints; setting them back replays the same draws from there on. A model that draws
    /// nothing has none (`[]`).
    var generatorStates: [UInt64] { get set }
}

extension Tagger: Replicable {
    var generatorStates: [UInt64] {
        get { encoder.generatorStates }
        set { encoder.generatorStates = newValue }
    }

    func replica(seed: UInt64) -> Tagger {
        var configuration = self.configuration
        configuration.encoder.seed = seed
        return Tagger(configuration: configuration, words: words, initial: encoder.embedding.weight.value, labels: labels,
                      alphabet: alphabet, tokenizer: tokenizer)
    }
}

extension Classifier: Replicable {
    var generatorStates: [UInt64] {
        get { encoder.generatorStates }
        set { encoder.generatorStates = newValue }
    }

    func replica(seed: UInt64) -> Classifier {
        var configuration = self.configuration
        configuration.encoder.seed = seed
        return Classifier(configuration: configuration, words: words, initial: encoder.embedding.weight.value, labels: labels)
    }
}

/// Forward and backward over one batch on several workers, each with its own replica of the
/// model and a part of the batch, their gradients summed into the main model's.
///
/// The design measured fastest on 2 cores (`BLAS` in Recurrent, and BENCHMARKS.md, "Threads"):
/// workers over the batch with OpenBLAS at one thread, about 1.8x one thread where two OpenBLAS
/// threads gave about 1.0x. fastText's split, in its terms: the main model holds the weights,
/// each worker owns the per-thread state (gradients, traces, dropout generators).
///
/// Per batch (`step`):
/// 1. the batch is split into parts of about equal tokens (`split`), each kept longest first;
/// 2. each replica's parameters take the main model's values: `Matrix` is copy-on-write, so this
///    shares the storage (a 40 MB embedding table is not copied);
/// 3. the workers run forward and backward at once (`DispatchQueue.concurrentPerform`);
/// 4. their gradients are added into the main model's, worker by worker in a fixed order, each
///    scaled by its part's share of the loss's normalization (tokens, sentences or texts), so
///    that the sum is the whole batch's gradient of its mean loss;
/// 5. the replicas drop their references to the weights, so that the optimizer step that
///    follows updates the main model's storage in place instead of copying it.
///
/// A run is reproducible for a given number of workers: the split, each worker's dropout masks
/// and the order of the sum do not depend on timing. It is not the same run as with another
/// number of workers (other masks, other float rounding).
final class BatchParallel<Model: Replicable> {
    /// The model the optimizer updates.
    let main: Model
    /// One replica per worker.
    let replicas: [Model]
    private let mainParameters: [Parameter<Float>]
    private let replicaParameters: [[Parameter<Float>]]

    /// `workers` replicas of `main`, their dropout seeded from `seed` (one seed each).
    init(main: Model, workers: Int, seed: UInt64) {
        precondition(workers >= 1, "batch-parallel training needs at least one worker, got \(workers)")
        var generator = SeededGenerator(seed: seed)
        self.main = main
        replicas = Initializer.withPlaceholderWeights { (0..<workers).map { _ in main.replica(seed: generator.next()) } }
        mainParameters = main.allParameters
        replicaParameters = replicas.map(\.allParameters)
        for parameters in replicaParameters {
            precondition(parameters.map(\.name) == mainParameters.map(\.name), "a replica's parameters differ from the model's")
        }
        releaseWeights()
    }

    /// The number of workers.
    var workers: Int { replicas.count }

    /// Splits `batch` (example indices) into `parts` lists of about equal total `lengths`: each
    /// example, in the batch's order, goes to the part with the fewest tokens so far (then the
    /// fewest examples, then the first). A batch sorted longest first (as `TrainingLoop.batches`
    /// makes them) gives parts sorted longest first, so the recurrent layers still skip padded
    /// steps. Parts may be empty when the batch is smaller than `parts`.
    static func split(_ batch: [Int], lengths: [Int], parts: Int) -> [[Int]] {
        precondition(parts >= 1, "a batch is split into at least one part, got \(parts)")
        var result = [[Int]](repeating: [], count: parts)
        var tokens = [Int](repeating: 0, count: parts)
        for index in batch {
            var target = 0
            for part in 1..<parts where (tokens[part], result[part].count) < (tokens[target], result[target].count) {
                target = part
            }
            result[target].append(index)
            tokens[target] += lengths[index]
        }
        return result
    }

    /// Forward and backward over `batch` on the workers; adds the whole batch's gradient to the
    /// main model's parameters (the caller zeroes them, as for a serial step) and returns the
    /// batch's loss.
    /// - Parameters:
    ///   - lengths: tokens per example (for the split).
    ///   - units: the count the loss is a mean over, for a list of examples: tokens (softmax over
    ///     tokens), sentences (CRF) or texts (classifier).
    ///   - work: one serial step on a replica: forward and backward over these examples, gradients
    ///     accumulated in the replica, the mean loss returned. It runs on several threads at once,
    ///     one replica each, and must touch nothing else that it does not only read.
    func step(_ batch: [Int], lengths: [Int], units: ([Int]) -> Int, work: @escaping (Model, [Int]) -> Double) -> Double {
        let parts = Self.split(batch, lengths: lengths, parts: workers)
        let total = units(batch)
        guard total > 0 else { return 0 }
        for parameters in replicaParameters {
            for (parameter, source) in zip(parameters, mainParameters) { parameter.value = source.value }
        }
        // One job per worker: zero the replica's gradients, then run `work` on its part.
        let jobs: [() -> Double] = (0..<workers).map { w in
            let (replica, parameters, part) = (replicas[w], replicaParameters[w], parts[w])
            return {
                for parameter in parameters { parameter.zeroGradient() }
                return part.isEmpty ? 0 : work(replica, part)
            }
        }
        var losses = [Double](repeating: 0, count: workers)
        // Why the unchecked wrappers are safe: job w touches only replica w (its gradients,
        // traces and dropout generators) and slot w of `losses`; the weights it reads are shared
        // copy-on-write storage that nobody writes until every job has returned (the main
        // model's optimizer step comes after), and what `work` captures is only read. OpenBLAS
        // is at one thread (set by the trainer), and concurrent calls into it are safe with
        // Debian's threaded build (see `BLAS`).
        let shared = UncheckedSendable(jobs)
        losses.withUnsafeMutableBufferPointer { buffer in
            let slots = UncheckedSendable(buffer)
            DispatchQueue.concurrentPerform(iterations: shared.value.count) { w in slots.value[w] = shared.value[w]() }
        }
        var loss = 0.0
        var sources: [[Parameter<Float>]] = [], shares: [Float] = []
        for (w, part) in parts.enumerated() where !part.isEmpty {
            let share = Double(units(part)) / Double(total)
            loss += share * losses[w]
            sources.append(replicaParameters[w])
            shares.append(Float(share))
        }
        addGradients(of: sources, scaledBy: shares, into: mainParameters, workers: workers)
        releaseWeights()
        return loss
    }

    /// Points the replicas' weights at empty matrices, so that the main model's storage has one
    /// owner again.
    private func releaseWeights() {
        for parameters in replicaParameters {
            for parameter in parameters { parameter.value = Matrix(rows: 0, columns: parameter.value.columns) }
        }
    }
}

/// Indices in `order` cut into batches of `size`, in that order (for inference, `order` is
/// longest first).
func inferenceBatches(of order: [Int], size: Int) -> [[Int]] {
    stride(from: 0, to: order.count, by: size).map { Array(order[$0 ..< min($0 + size, order.count)]) }
}

extension Replicable {
    /// `work` on each of `inputs` (inference batches), the results in the inputs' order. With
    /// `threads` > 1 (and more than one input), the inputs are dealt to that many fresh replicas
    /// by `tokens` (`BatchParallel.split`) and run at once; each replica holds this model's
    /// weights (shared copy-on-write storage, only read) and drops them when done. A batch's
    /// result does not depend on which model runs it or what else runs, so it is the same as on
    /// one thread, bit for bit.
    ///
    /// On an interrupt (`Interruption.requested`) the workers stop at the next batch and the
    /// result holds only the batches done, not in order: the caller checks `Interruption` before
    /// using it.
    func mapBatches<Input, Output>(_ inputs: [Input], tokens: [Int], threads: Int, _ work: @Sendable (Self, Input) -> Output) -> [Output] {
        let workers = min(threads, inputs.count)
        guard workers > 1 else {
            var results: [Output] = []
            results.reserveCapacity(inputs.count)
            for input in inputs {
                if Interruption.requested { break }
                results.append(work(self, input))
            }
            return results
        }
        let parameters = allParameters
        let replicas = Initializer.withPlaceholderWeights { (0..<workers).map { _ in replica(seed: 0) } }
        for replica in replicas {
            for (parameter, source) in zip(replica.allParameters, parameters) { parameter.value = source.value }
        }
        let parts = BatchParallel<Self>.split(Array(inputs.indices), lengths: tokens, parts: workers)
        var results = [Output?](repeating: nil, count: inputs.count)
        // Why unchecked: worker w uses only replica w (its own layers and traces) and writes only
        // the slots of its part; the parts are disjoint; the weights and the inputs are only
        // read, and nothing writes them until every worker has returned.
        let (models, batches) = (UncheckedSendable(replicas), UncheckedSendable(inputs))
        results.withUnsafeMutableBufferPointer { results in
            let slots = UncheckedSendable(results)
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                for index in parts[w] {
                    if Interruption.requested { break }
                    slots.value[index] = work(models.value[w], batches.value[index])
                }
            }
        }
        return results.compactMap { $0 }
    }
}
