import Foundation
import TestSupport
@testable import Pipeline

/// A pipeline directory with a tiny corpus and a pipeline file.
struct Workspace {
    let directory: URL
    var pipeline: String { directory.appendingPathComponent("pipe.yaml").path }
    var corpus: String { directory.appendingPathComponent("data/corpus.txt").path }

    static let yaml = """
    version: 1
    stages:
      tokens:
        type: tokenize
        inputs: [data/corpus.txt]
        with: { normalize: nfkc-casefold }
      vocab:
        type: vocab
        inputs: [tokens]
        with: { min_count: 2 }
      vectors:
        type: train
        inputs: [tokens, vocab]
        with: { dim: 8, epochs: 2, seed: 1, window: 2 }
      eval:
        type: evaluate
        inputs: [vectors]
        with: { pairs: [data/pairs.tsv] }

    """

    init(yaml: String = Workspace.yaml) throws {
        directory = try SharedData.temporaryDirectory()
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("data"), withIntermediateDirectories: true)
        var text = ""
        let animals = ["cat", "dog", "cow", "horse"], colors = ["red", "blue", "green", "pink"]
        for index in 0..<400 {
            text += index % 2 == 0 ? "The \(animals[index % 4]) runs fast.\n" : "A \(colors[index % 4]) paint dries.\n"
        }
        try Data(text.utf8).write(to: URL(fileURLWithPath: corpus))
        try Data("cat\tdog\t8\nred\tblue\t7\ncat\tred\t1\ndog\tpaint\t2\n".utf8).write(to: directory.appendingPathComponent("data/pairs.tsv"))
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: pipeline))
    }

    /// Runs the pipeline and returns the names of the stages that ran.
    func run(_ options: PipelineRunOptions = PipelineRunOptions(threads: 1, progress: .never)) throws -> [String] {
        try PipelineRunner(path: pipeline).run(options: options) { _ in }.filter(\.ran).map(\.name)
    }

    func edit(_ transform: (String) -> String) throws {
        let text = try String(contentsOfFile: pipeline, encoding: .utf8)
        try Data(transform(text).utf8).write(to: URL(fileURLWithPath: pipeline))
    }
}

@Suite(.serialized) struct IncrementalRunTests {
    @Test func onlyWhatChangedReruns() throws {
        let workspace = try Workspace()
        #expect(try workspace.run() == ["tokens", "vocab", "vectors", "eval"])
        // A second run skips every stage.
        #expect(try workspace.run() == [])
        // Changing dim reruns train and evaluate only.
        try workspace.edit { $0.replacingOccurrences(of: "dim: 8", with: "dim: 6") }
        #expect(try workspace.run() == ["vectors", "eval"])
        // Touching an input without changing it reruns nothing.
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(60)], ofItemAtPath: workspace.corpus)
        #expect(try workspace.run() == [])
        // Editing it reruns from tokenize.
        try Data("The cat runs fast.\nA red paint dries.\n".utf8).write(to: URL(fileURLWithPath: workspace.corpus), options: .atomic)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: workspace.corpus))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(String(repeating: "The dog runs fast.\nA blue paint dries.\n", count: 100).utf8))
        try handle.close()
        #expect(try workspace.run() == ["tokens", "vocab", "vectors", "eval"])
        // Forcing one stage reruns it; a deleted output is rebuilt.
        #expect(try workspace.run(PipelineRunOptions(force: ["vocab"], threads: 1, progress: .never)) == ["vocab"])
        try FileManager.default.removeItem(atPath: workspace.directory.appendingPathComponent("build/vectors/vectors.wpv").path)
        // Training is deterministic (one thread, a seed): the rebuilt vectors are the same bytes,
        // so evaluate, whose inputs did not change, is not rerun.
        #expect(try workspace.run() == ["vectors"])
        // The lock records type, configuration and hashes.
        let lock = try LockFile.read(workspace.directory.appendingPathComponent("wordpipe.lock").path, pipeline: "pipe.yaml",
                                     workdir: workspace.directory.appendingPathComponent("build").path, base: workspace.directory.path)
        #expect(lock.stages["vectors"]?.type == "train@1")
        #expect(lock.stages["vectors"]?.configuration.contains("\"dim\":6") == true)
        #expect(lock.stages["tokens"]?.inputs.first?.path == "data/corpus.txt")
        #expect(lock.stages["tokens"]?.inputs.first?.sha256.count == 64)
        // Status agrees.
        let states = try PipelineRunner(path: workspace.pipeline).status()
        #expect(states.allSatisfy { $0.1 == .upToDate })
        // The report exists, with the loss plot.
        let report = try String(contentsOfFile: workspace.directory.appendingPathComponent("build/report.md").path, encoding: .utf8)
        #expect(report.contains("| vectors | train@1 |"))
        #expect(FileManager.default.fileExists(atPath: workspace.directory.appendingPathComponent("build/metrics.json").path))
    }

    @Test func dryRunAndUntilAndOnly() throws {
        let workspace = try Workspace()
        var lines: [String] = []
        _ = try PipelineRunner(path: workspace.pipeline).run(options: PipelineRunOptions(dryRun: true, threads: 1, progress: .never)) { lines.append($0) }
        #expect(lines == ["tokens: would run (never run)", "vocab: would run (never run)", "vectors: would run (never run)", "eval: would run (never run)"])
        #expect(!FileManager.default.fileExists(atPath: workspace.directory.appendingPathComponent("build/tokens").path))
        #expect(try workspace.run(PipelineRunOptions(until: "vocab", threads: 1, progress: .never)) == ["tokens", "vocab"])
        #expect(try workspace.run(PipelineRunOptions(only: ["vectors"], threads: 1, progress: .never)) == ["vectors"])
    }
}

/// Bad pipeline files: each error names file:line:column, the stage, and the valid alternatives.
@Suite struct PipelineErrorTests {
    static let cases: [(name: String, yaml: String, line: Int, column: Int, message: String)] = [
        ("malformed YAML", "version: 1\nstages:\n  a: [unclosed\n", 4, 1, "malformed YAML"),
        ("unknown stage type", "version: 1\nstages:\n  a:\n    type: tokenise\n    inputs: [data/corpus.txt]\n", 4, 11,
         "unknown stage type 'tokenise' (did you mean 'tokenize'?); valid types: tokenize, phrases, vocab, train, evaluate"),
        ("misspelled setting", "version: 1\nstages:\n  t:\n    type: tokenize\n    inputs: [data/corpus.txt]\n  v:\n    type: train\n    inputs: [t]\n    with: { dimm: 5 }\n",
         9, 13, "unknown key 'dimm' (did you mean 'dim'?)"),
        ("misspelled stage key", "version: 1\nstages:\n  t:\n    type: tokenize\n    input: [data/corpus.txt]\n", 5, 5,
         "unknown key 'input' (did you mean 'inputs'?); valid: type, inputs, with"),
        ("cycle", "version: 1\nstages:\n  a:\n    type: phrases\n    inputs: [b]\n  b:\n    type: phrases\n    inputs: [a]\n", 3, 3, "cycle: a → b → a"),
        ("missing input", "version: 1\nstages:\n  t:\n    type: tokenize\n    inputs: [data/nothing.txt]\n", 5, 14, "input 'data/nothing.txt' does not exist"),
        ("missing stage", "version: 1\nstages:\n  t:\n    type: tokenize\n    inputs: [data/corpus.txt]\n  v:\n    type: vocab\n    inputs: [tokns]\n", 8, 14,
         "no stage or file named 'tokns'"),
        ("type mismatch", "version: 1\nstages:\n  t:\n    type: tokenize\n    inputs: [data/corpus.txt]\n  v:\n    type: vocab\n    inputs: [t]\n    with: { min_count: lots }\n",
         9, 24, "min_count: expected an integer"),
        ("wrong kind of input", "version: 1\nstages:\n  t:\n    type: tokenize\n    inputs: [data/corpus.txt]\n  x:\n    type: evaluate\n    inputs: [t]\n    with: { pairs: [data/pairs.tsv] }\n",
         8, 14, "wrong kind of input: stage 't' gives a corpus, but evaluate wants vectors"),
        ("missing required input", "version: 1\nstages:\n  t:\n    type: tokenize\n    inputs: [data/corpus.txt]\n  v:\n    type: vocab\n    inputs: [t]\n  x:\n    type: train\n    inputs: [v]\n",
         9, 3, "missing input: train wants corpus (and optionally vocabulary, vectors)"),
        ("bad enum value", "version: 1\nstages:\n  t:\n    type: tokenize\n    inputs: [data/corpus.txt]\n    with: { normalize: nfkx }\n", 6, 24, "normalize"),
    ]

    @Test(arguments: cases.map(\.name))
    func errorNamesThePlace(name: String) throws {
        guard let testCase = Self.cases.first(where: { $0.name == name }) else { return }
        let workspace = try Workspace(yaml: testCase.yaml)
        do {
            _ = try PipelineRunner(path: workspace.pipeline)
            Issue.record("\(name): no error")
        } catch let error as PipelineError {
            #expect(error.location.line == testCase.line, "\(name): \(error)")
            #expect(error.location.column == testCase.column, "\(name): \(error)")
            #expect(error.message.contains(testCase.message), "\(name): \(error)")
            #expect(error.location.path == workspace.pipeline)
        }
    }

    @Test func twoRunsAtOnceAreRefused() throws {
        let workspace = try Workspace()
        let directory = workspace.directory.appendingPathComponent("build").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let held = try WorkdirLock(directory: directory)
        defer { held.release() }
        #expect(throws: PipelineError.self) { try workspace.run() }
    }
}

/// The example pipelines shipped in corpora/ are valid.
@Suite struct ShippedPipelineTests {
    @Test(.enabled(if: SharedData.exists("corpora/enwiki-2015/AA"), SharedData.missing("corpora/enwiki-2015/AA")))
    func wikipediaExampleValidates() throws {
        let path = SharedData.repositoryRoot.appendingPathComponent("corpora/wikipedia.yaml").path
        let runner = try PipelineRunner(path: path, workdir: try SharedData.temporaryDirectory().path)
        var lines: [String] = []
        _ = try runner.run(options: PipelineRunOptions(dryRun: true, threads: 1, progress: .never)) { lines.append($0) }
        #expect(lines.count == 5)
        // The lock beside the file is shared with a developer's own runs of the example, so a
        // stage may already be up to date there; in a fresh clone every stage would run.
        #expect(lines.allSatisfy { $0.contains("would run") || $0.hasSuffix(": up to date") }, "\(lines)")
        #expect(runner.stages.first?.rawFiles.count == 100)
    }

    @Test func demoPipelineParses() throws {
        // Its inputs are fetched by corpora/setup.sh, so only the file's structure is checked here.
        let file = try PipelineFile(path: SharedData.repositoryRoot.appendingPathComponent("corpora/demo.yaml").path)
        #expect(file.stages.map(\.name) == ["tokens", "phrased", "vocab", "vectors", "eval"])
        #expect(file.stages.map(\.type) == ["tokenize", "phrases", "vocab", "train", "evaluate"])
    }
}

@Suite(.serialized) struct ModelStageTests {
    static let yaml = Workspace.yaml + """
      ner:
        type: train-tagger
        inputs: [vectors]
        with: { train: data/ner.txt, dev: data/ner.txt, hidden: 8, epochs: 2, batch: 4 }

    """

    @Test("a tagger stage trains from its data files, and reruns when one changes")
    func taggerStage() throws {
        let workspace = try Workspace(yaml: Self.yaml)
        let ner = workspace.directory.appendingPathComponent("data/ner.txt")
        try Data("The O\ncat B-ANIMAL\nruns O\n\nA O\ndog B-ANIMAL\n".utf8).write(to: ner)
        #expect(try workspace.run() == ["tokens", "vocab", "vectors", "eval", "ner"])
        let model = workspace.directory.appendingPathComponent("build/ner/model.wpm").path
        #expect(FileManager.default.fileExists(atPath: model))
        #expect(FileManager.default.fileExists(atPath: workspace.directory.appendingPathComponent("build/ner/dev.json").path))
        #expect(try workspace.run().isEmpty)
        try Data("The O\ncat B-ANIMAL\nruns O\n\nA O\ncow B-ANIMAL\n".utf8).write(to: ner)
        #expect(try workspace.run() == ["ner"])
    }

    @Test("unknown keys and missing data files are named")
    func validation() throws {
        let misspelled = try Workspace(yaml: Self.yaml.replacingOccurrences(of: "hidden: 8", with: "hiden: 8"))
        try Data("a O\n".utf8).write(to: misspelled.directory.appendingPathComponent("data/ner.txt"))
        #expect { try misspelled.run() } throws: { error in
            let message = "\(error)"
            return message.contains("did you mean 'hidden'") && message.contains("pipe.yaml:") && message.contains("stage 'ner'")
        }
        let badDropout = try Workspace(yaml: Self.yaml.replacingOccurrences(of: "hidden: 8", with: "hidden: 8, word_dropout: 1.5"))
        try Data("a O\n".utf8).write(to: badDropout.directory.appendingPathComponent("data/ner.txt"))
        #expect { try badDropout.run() } throws: { error in
            "\(error)".contains("word_dropout") && "\(error)".contains("stage 'ner'")
        }
        let missing = try Workspace(yaml: Self.yaml)
        #expect { try missing.run() } throws: { "\($0)".contains("data/ner.txt") }
    }
}
