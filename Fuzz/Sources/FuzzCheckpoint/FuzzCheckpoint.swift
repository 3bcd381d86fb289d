// libFuzzer target: a word2vec checkpoint's `state.json` (`train --resume DIR`). A fixed tiny
// vocabulary and corpus are trained from the fuzzed state to the end, as a resumed run is.
import Embeddings
import FuzzSupport
import Foundation
import Vocabulary

struct Fixture {
    let vocabulary = Seeds.vocabulary()
    let corpus: EncodedCorpus
    let configuration = TrainingConfiguration(dim: 4, window: 2, negative: 2, epochs: 3, seed: 1)
    let threads = 2
    let checkpoint = FuzzFiles.directory + "/checkpoint"

    init() {
        let text = FuzzFiles.directory + "/sentences.txt"
        let sentences = Array(repeating: Seeds.sentences, count: 10).joined()
        try! sentences.joined(separator: "\n").write(toFile: text, atomically: true, encoding: .utf8)
        _ = try! EncodedCorpus.encode(inputs: [text], vocabulary: vocabulary, to: FuzzFiles.directory + "/corpus.wpc")
        corpus = try! EncodedCorpus(path: FuzzFiles.directory + "/corpus.wpc", vocabulary: vocabulary)
    }

    func train(checkpoint: String?, resume: String?, every: Int64 = 10_000_000) throws -> Double {
        let options = TrainingOptions(threads: threads, checkpoint: checkpoint, resume: resume, checkpointEvery: every)
        let (vectors, summary) = try Trainer.train(corpus: corpus, vocabulary: vocabulary, configuration: configuration, options: options)
        return Double(vectors.matrix.reduce(0, +)) + (summary.epochLosses.last ?? 0)
    }

    /// A checkpoint folder whose weights have the right size; the state is the fuzz input.
    func prepareResume() {
        let step = checkpoint + "/step-1"
        try? FileManager.default.createDirectory(atPath: step, withIntermediateDirectories: true)
        let weights = Data(count: vocabulary.count * configuration.dim * 4)
        try! weights.write(to: URL(fileURLWithPath: step + "/input.f32"))
        try! weights.write(to: URL(fileURLWithPath: step + "/output.f32"))
        try! Data("step-1\n".utf8).write(to: URL(fileURLWithPath: checkpoint + "/latest"))
    }
}

nonisolated(unsafe) let fixture: Fixture = {
    let fixture = Fixture()
    fixture.prepareResume()
    return fixture
}()

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    Seeds.makeIfAsked { directory in
        let real = FuzzFiles.directory + "/real-checkpoint"
        _ = try fixture.train(checkpoint: real, resume: nil, every: 100)
        let latest = try String(contentsOfFile: real + "/latest", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let state = try Data(contentsOf: URL(fileURLWithPath: real + "/" + latest + "/state.json"))
        try state.write(to: URL(fileURLWithPath: directory + "/final-state.json"))
        // The same state moved back to the start of epoch 1 (a checkpoint taken mid-run).
        if var object = try JSONSerialization.jsonObject(with: state) as? [String: Any],
           let workers = object["workers"] as? [[String: Any]] {
            object["epoch"] = 1
            object["wordsDone"] = fixture.corpus.tokenCount
            object["workers"] = workers.map { worker -> [String: Any] in
                var worker = worker
                worker["next"] = worker["first"]
                return worker
            }
            let edited = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])
            try edited.write(to: URL(fileURLWithPath: directory + "/epoch1-state.json"))
        }
    }
    _ = fixture
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ pointer: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = pointer ?? emptyInput
    _ = FuzzFiles.write(data, count, name: "checkpoint/step-1/state.json")
    do {
        blackHole(try fixture.train(checkpoint: nil, resume: fixture.checkpoint))
    } catch {
        blackHole(String(describing: error))
    }
    return 0
}

@main
enum Main {
    static func main() { runFuzzer(fuzz) }
}
