import Embeddings
import Foundation
import Models
import Pipeline
import Testing
import TestSupport
import Tokenization
import Vocabulary

@Suite(.serialized) struct ConfigCLITests {
    /// Inputs for each stage type, so that the pasted stages form one valid pipeline.
    static let inputs: [String: [String]] = [
        "tokenize": ["raw.txt"], "phrases": ["tokenize"], "vocab": ["phrases"], "train": ["phrases", "vocab"],
        "evaluate": ["train"], "train-tagger": ["train"], "train-classifier": ["train"],
        "train-lm": [], "generate": ["train-lm"], "train-seq2seq": [],
    ]

    @Test func everyStageTypesDefaultsPastedIntoAPipelineAreAcceptedAndAreTheDefaults() throws {
        let directory = try SharedData.temporaryDirectory()
        for (name, text) in [("raw.txt", "The cat sat.\n"), ("train.conll", "EU B-ORG\n"), ("dev.conll", "EU B-ORG\n"),
                             ("train.tsv", "pos\tgood\n"), ("dev.tsv", "pos\tgood\n"),
                             ("questions-words.txt", ": capital\na b c d\n"),
                             ("train.txt", "the cat sat\n"), ("valid.txt", "the cat\n"),
                             ("train.de", "die katze\n"), ("train.en", "the cat\n"), ("val.de", "die katze\n"), ("val.en", "the cat\n")] {
            try Data(text.utf8).write(to: directory.appendingPathComponent(name))
        }
        var pipeline = "version: 1\nstages:\n"
        #expect(pipelineStageTypeNames.count == 10)
        for type in pipelineStageTypeNames {
            let inputs = try #require(Self.inputs[type], "no inputs for the new stage type \(type) in this test")
            let result = try CLI.run(["config", type] + inputs.flatMap { ["--input", $0] })
            #expect(result.status == 0, "config \(type): \(result.stderr)")
            #expect(result.stdout.contains("    type: \(type)\n"))
            pipeline += result.stdout
        }
        let path = directory.appendingPathComponent("pipe.yaml").path
        try Data(pipeline.utf8).write(to: URL(fileURLWithPath: path))

        let dryRun = try CLI.run(["run", path, "--dry-run"])
        #expect(dryRun.status == 0, "\(dryRun.stderr)\n\(pipeline)")

        // The parser reads the pasted settings as the configurations' defaults.
        let file = try PipelineFile(path: path)
        #expect(file.stages.map(\.type) == pipelineStageTypeNames)
        let decoder = JSONDecoder()
        for stage in file.stages {
            let settings = stage.settings
            /// Decoded, the settings are `expected`; and every key `expected` encodes is written out.
            func check<T: Codable & Equatable>(_ expected: T, extra: Set<String> = []) throws {
                #expect(try decoder.decode(T.self, from: settings) == expected, "\(stage.type)")
                let written = try #require(try JSONSerialization.jsonObject(with: settings) as? [String: Any])
                let all = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(expected)) as? [String: Any])
                #expect(Set(written.keys) == Set(all.keys).union(extra), "\(stage.type)")
            }
            switch stage.type {
            case "tokenize": try check(TokenizeConfiguration())
            case "phrases": try check(PhrasesConfiguration())
            case "vocab": try check(VocabularyConfiguration())
            case "train": try check(TrainingConfiguration())
            case "evaluate": try check(EvaluationConfiguration(analogies: ["questions-words.txt"]))
            case "train-tagger": try check(TaggerConfiguration(), extra: ["train", "dev"])
            case "train-classifier": try check(ClassifierConfiguration(), extra: ["train", "dev"])
            case "train-lm": try check(LanguageModelConfiguration(), extra: ["train", "dev"])
            case "generate": try check(GenerationSettings())
            case "train-seq2seq": try check(Seq2SeqConfiguration(), extra: ["source", "target", "dev_source", "dev_target"])
            default: Issue.record("no check for the stage type \(stage.type)")
            }
        }
    }

    @Test func anUnknownTypeNamesTheClosestAndTheValidOnes() throws {
        let result = try CLI.run(["config", "trian"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("unknown stage type 'trian' (did you mean 'train'?)"))
        #expect(result.stderr.contains("train-classifier"))
    }

    /// An invalid setting names the option derived from its key, also for the settings of the
    /// vocabulary that `train` builds (this named `max_size`, the pipeline key, before).
    @Test func invalidSettingsNameTheirOption() throws {
        let directory = try SharedData.temporaryDirectory()
        let corpus = directory.appendingPathComponent("c.txt").path
        try Data("a b c\n".utf8).write(to: URL(fileURLWithPath: corpus))
        let out = directory.appendingPathComponent("v").path
        for (arguments, flag) in [(["train", corpus, "-o", out, "--max-size", "0"], "--max-size"),
                                  (["train", corpus, "-o", out, "--noise-exponent", "3"], "--noise-exponent"),
                                  (["train", corpus, "-o", out, "--min-count", "0"], "--min-count"),
                                  (["vocab", corpus, "-o", out, "--max-types-in-memory", "5"], "--max-types-in-memory"),
                                  (["vocab", corpus, "-o", out, "--special", "a,a"], "--special"),
                                  (["phrases", corpus, "-o", out, "--passes", "0"], "--passes"),
                                  (["train-classifier", "--train", corpus, "--dev", corpus, "-o", out, "--word-dropout", "1"], "--word-dropout"),
                                  (["train-tagger", "--train", corpus, "--dev", corpus, "-o", out, "--threads", "0"], "--threads")] {
            let result = try CLI.run(arguments)
            #expect(result.status != 0)
            #expect(result.stderr.contains("for \(flag): expected") || result.stderr.contains("\(flag) must be"),
                    "\(arguments): \(result.stderr)")
        }
    }

    /// Advice in an error names a setting as its reader writes it: an option on the command
    /// line, a key in a pipeline run of the same stage (the library's messages know neither).
    @Test func adviceNamesTheOptionOnTheCommandLineAndTheKeyInAPipeline() throws {
        let directory = try SharedData.temporaryDirectory()
        let corpus = directory.appendingPathComponent("c.txt").path
        try Data("a b c\n".utf8).write(to: URL(fileURLWithPath: corpus))
        let command = try CLI.run(["vocab", corpus, "-o", directory.appendingPathComponent("v.tsv").path, "--min-count", "9"])
        #expect(command.status != 0)
        #expect(command.stderr.contains("lower --min-count"), "\(command.stderr)")

        let pipeline = directory.appendingPathComponent("p.yaml").path
        try Data("""
        version: 1
        workdir: w
        stages:
          tokens:
            type: tokenize
            inputs: [c.txt]
          vocab:
            type: vocab
            inputs: [tokens]
            with: { min_count: 9 }

        """.utf8).write(to: URL(fileURLWithPath: pipeline))
        let run = try CLI.run(["run", pipeline])
        #expect(run.status != 0)
        #expect(run.stderr.contains("lower min_count") && !run.stderr.contains("--min-count"), "\(run.stderr)")
    }
}
