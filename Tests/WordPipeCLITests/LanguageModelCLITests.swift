import Foundation
import Testing
import TestSupport

/// `wordpipe train-lm`, `perplexity` and `generate`, run as a user would, with their bad inputs.
@Suite(.serialized) struct LanguageModelCLITests {
    static func write(_ text: String, _ name: String, in directory: URL) throws -> String {
        let path = directory.appendingPathComponent(name).path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// A small regular text: sentences from a few patterns.
    static func text(_ count: Int, offset: Int) -> String {
        let subjects = ["the cat", "a dog", "the bird"], verbs = ["sees", "likes", "finds"], objects = ["the mat", "a tree", "the sun"]
        return (0..<count).map { index in
            let k = index + offset
            return "\(subjects[k % 3]) \(verbs[(k / 3) % 3]) \(objects[(k / 9) % 3])"
        }.joined(separator: "\n") + "\n"
    }

    static let small = ["--hidden", "16", "--dim", "16", "--layers", "1", "--epochs", "3", "--batch", "4", "--bptt", "8", "--threads", "2",
                        "--lr-decay", "1", "--progress", "never"]

    @Test func wordModel() throws {
        let directory = try SharedData.temporaryDirectory()
        let train = try Self.write(Self.text(300, offset: 0), "train.txt", in: directory)
        // The dev text has a word the training text never has.
        let dev = try Self.write(Self.text(30, offset: 5) + "the zebra sees the sun\n", "valid.txt", in: directory)
        let model = directory.appendingPathComponent("lm.wpm").path
        let trained = try CLI.run(["train-lm", "--train", train, "--dev", dev, "-o", model, "--tied"] + Self.small)
        #expect(trained.status == 0, "\(trained.stderr)")
        let epochs = trained.stderr.split(separator: "\n").filter { $0.hasPrefix("train-lm: epoch ") }
        #expect(epochs.count == 3, "\(trained.stderr)")
        #expect(epochs.first?.contains(/epoch 1\/3 loss [0-9.]+ train_perplexity [0-9.]+ dev_perplexity [0-9.]+ train_s [0-9.]+ tokens\/s [0-9]+ elapsed_s [0-9.]+/) == true,
                "\(trained.stderr)")

        let scored = try CLI.run(["perplexity", "--model", model, dev, "--json"])
        #expect(scored.status == 0, "\(scored.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(scored.stdout.utf8)) as? [String: Any]
        let perplexity = object?["perplexity"] as? Double ?? 0
        // Regular text: far below the 19 words of the vocabulary.
        #expect(perplexity > 1 && perplexity < 8, "\(scored.stdout)")
        #expect(object?["unknown"] as? Int == 1, "\(scored.stdout)")
        #expect(object?["bits_per_char"] == nil)

        let first = try CLI.run(["generate", "--model", model, "--seed", "3", "--count", "2", "--max-tokens", "12"])
        let second = try CLI.run(["generate", "--model", model, "--seed", "3", "--count", "2", "--max-tokens", "12"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout == second.stdout)
        #expect(first.stdout.split(separator: "\n").count == 2, "\(first.stdout)")
        let greedy = try CLI.run(["generate", "--model", model, "--prompt", "the cat", "--temperature", "0", "--json", "--count", "2"])
        #expect(greedy.status == 0, "\(greedy.stderr)")
        let samples = greedy.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(samples.count == 2)
        #expect(samples.first?["text"] as? String == samples.last?["text"] as? String)
        #expect((samples.first?["logprobs"] as? [Double])?.count == (samples.first?["tokens"] as? [String])?.count)
    }

    @Test func charModel() throws {
        let directory = try SharedData.temporaryDirectory()
        let train = try Self.write(Self.text(200, offset: 0), "train.txt", in: directory)
        let dev = try Self.write(Self.text(20, offset: 3) + "Q!\n", "valid.txt", in: directory)
        let model = directory.appendingPathComponent("char.wpm").path
        let trained = try CLI.run(["train-lm", "--unit", "char", "--train", train, "--dev", dev, "-o", model, "--optimizer", "adam", "--lr", "0.01"] + Self.small)
        #expect(trained.status == 0, "\(trained.stderr)")
        #expect(trained.stderr.contains("dev_bits_per_char"), "\(trained.stderr)")
        let scored = try CLI.run(["perplexity", "--model", model, dev, "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(scored.stdout.utf8)) as? [String: Any]
        #expect(object?["bits_per_char"] as? Double != nil && object?["nats_per_char"] as? Double != nil, "\(scored.stdout)")
        // Q and ! are not in the training text.
        #expect(object?["unknown"] as? Int == 2, "\(scored.stdout)")
        let stopped = try CLI.run(["generate", "--model", model, "--prompt", "the", "--stop", " ", "--max-tokens", "50", "--json"])
        #expect(stopped.status == 0, "\(stopped.stderr)")
        let sample = try JSONSerialization.jsonObject(with: Data(stopped.stdout.utf8)) as? [String: Any]
        let text = sample?["text"] as? String ?? ""
        #expect(sample?["end"] as? String != "stop" || text.hasSuffix(" "), "\(stopped.stdout)")
    }

    /// `--tokenize`: raw text split by the ICU tokenizer (punctuation apart from words), the
    /// configuration kept in the model and applied to perplexity files and prompts.
    @Test func tokenizedWordModel() throws {
        let directory = try SharedData.temporaryDirectory()
        let raw = Self.text(300, offset: 0).split(separator: "\n").map { $0.prefix(1).uppercased() + $0.dropFirst() + "." }.joined(separator: "\n") + "\n"
        let train = try Self.write(raw, "train.txt", in: directory)
        // Spaced as a tokenizer would split it: every token is one the tokenized model knows.
        let dev = try Self.write("The cat sees the mat .\nA dog likes a tree .\n", "valid.txt", in: directory)
        let model = directory.appendingPathComponent("lm.wpm").path
        let trained = try CLI.run(["train-lm", "--tokenize", "--train", train, "--dev", dev, "-o", model] + Self.small)
        #expect(trained.status == 0, "\(trained.stderr)")
        let scored = try CLI.run(["perplexity", "--model", model, dev, "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(scored.stdout.utf8)) as? [String: Any]
        #expect(object?["unknown"] as? Int == 0, "\(scored.stdout) \(scored.stderr)")
        // The prompt is split too ("mat." would be one unknown token at spaces); "." follows "mat".
        let greedy = try CLI.run(["generate", "--model", model, "--prompt", "The cat sees the mat", "--temperature", "0", "--max-tokens", "1", "--json"])
        let sample = try JSONSerialization.jsonObject(with: Data(greedy.stdout.utf8)) as? [String: Any]
        #expect(sample?["tokens"] as? [String] == ["."], "\(greedy.stdout) \(greedy.stderr)")
        let described = try CLI.run(["inspect", model])
        #expect(described.stdout.contains("tokenize: yes") && described.stdout.contains("punctuation: keep"), "\(described.stdout)")

        // The same text split at spaces: "mat." is a word, so the spaced dev text has unknown tokens.
        let plain = directory.appendingPathComponent("plain.wpm").path
        #expect(try CLI.run(["train-lm", "--train", train, "--dev", dev, "-o", plain] + Self.small).status == 0)
        let plainScored = try CLI.run(["perplexity", "--model", plain, dev, "--json"])
        let plainObject = try JSONSerialization.jsonObject(with: Data(plainScored.stdout.utf8)) as? [String: Any]
        #expect((plainObject?["unknown"] as? Int ?? 0) >= 2, "\(plainScored.stdout)")

        let char = try CLI.run(["train-lm", "--unit", "char", "--tokenize", "--train", train, "--dev", dev, "-o", model])
        #expect(char.status != 0 && char.stderr.contains("--tokenize"), "\(char.stderr)")
    }

    @Test func badInput() throws {
        let directory = try SharedData.temporaryDirectory()
        let train = try Self.write(Self.text(100, offset: 0), "train.txt", in: directory)
        let empty = try Self.write("\n\n", "empty.txt", in: directory)
        let model = directory.appendingPathComponent("lm.wpm").path

        let fromEmpty = try CLI.run(["train-lm", "--train", empty, "--dev", train, "-o", model] + Self.small)
        #expect(fromEmpty.status != 0)
        #expect(fromEmpty.stderr.contains("empty.txt: no tokens"), "\(fromEmpty.stderr)")
        #expect(!fromEmpty.stderr.contains("Fatal error"))

        let zero = try CLI.run(["train-lm", "--train", train, "--dev", train, "-o", model, "--bptt", "0"])
        #expect(zero.status != 0)
        #expect(zero.stderr.contains("--bptt"), "\(zero.stderr)")

        let untied = try CLI.run(["train-lm", "--train", train, "--dev", train, "-o", model, "--tied", "--dim", "10", "--hidden", "12"])
        #expect(untied.status != 0 && untied.stderr.contains("--dim"), "\(untied.stderr)")

        // A model to generate from, then bad sampling options.
        let trained = try CLI.run(["train-lm", "--train", train, "--dev", train, "-o", model] + Self.small)
        #expect(trained.status == 0, "\(trained.stderr)")
        let negative = try CLI.run(["generate", "--model", model, "--top-p", "-0.5"])
        #expect(negative.status != 0 && negative.stderr.contains("--top-p"), "\(negative.stderr)")
        let temperature = try CLI.run(["generate", "--model", model, "--temperature", "-1"])
        #expect(temperature.status != 0 && temperature.stderr.contains("--temperature"), "\(temperature.stderr)")

        // generate on a tagger model says what the file is.
        let conll = try Self.write("the O\ncat O\nParis B-LOC\n\nRome B-LOC\nsat O\n\n", "t.conll", in: directory)
        let tagger = directory.appendingPathComponent("tagger.wpm").path
        let taggerRun = try CLI.run(["train-tagger", "--train", conll, "--dev", conll, "-o", tagger, "--epochs", "1", "--hidden", "4", "--dim", "4", "--threads", "1"])
        #expect(taggerRun.status == 0, "\(taggerRun.stderr)")
        let wrong = try CLI.run(["generate", "--model", tagger])
        #expect(wrong.status != 0)
        #expect(wrong.stderr.contains("this is a tagger model, not a language-model (use wordpipe tag)"), "\(wrong.stderr)")
        let wrongPerplexity = try CLI.run(["perplexity", "--model", tagger, train])
        #expect(wrongPerplexity.status != 0 && wrongPerplexity.stderr.contains("tagger model"), "\(wrongPerplexity.stderr)")
    }

    /// The train-lm and generate stages: a char model trained in a pipeline, then samples from it.
    @Test func pipelineStages() throws {
        let directory = try SharedData.temporaryDirectory()
        _ = try Self.write(Self.text(150, offset: 0), "train.txt", in: directory)
        _ = try Self.write(Self.text(15, offset: 2), "valid.txt", in: directory)
        let pipeline = """
            version: 1
            workdir: build
            stages:
              lm:
                type: train-lm
                with: { train: train.txt, dev: valid.txt, unit: char, layers: 1, hidden: 16, dim: 8, bptt: 16, batch: 4, epochs: 2, optimizer: adam, lr: 0.01 }
              samples:
                type: generate
                inputs: [lm]
                with: { prompt: "the", max_tokens: 40, temperature: 0.5, count: 2, seed: 3 }
            """
        let path = try Self.write(pipeline, "lm.yaml", in: directory)
        let run = try CLI.run(["run", path, "--threads", "1", "--progress", "never"])
        #expect(run.status == 0, "\(run.stderr)")
        let samples = try String(contentsOfFile: directory.appendingPathComponent("build/samples/samples.txt").path, encoding: .utf8)
        #expect(samples.hasPrefix("the"), "\(samples)")
        #expect(samples.components(separatedBy: "\n\nthe").count == 2, "\(samples)")
        let dev = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("build/lm/dev.json"))) as? [String: Any]
        #expect(dev?["bits_per_char"] as? Double != nil, "\(String(describing: dev))")
        // A generate stage after a tagger-less pipeline's other model kind is refused at run time with the reason;
        // a bad setting is refused when the pipeline is read.
        let bad = try Self.write(pipeline.replacingOccurrences(of: "temperature: 0.5", with: "top_p: -1"), "bad.yaml", in: directory)
        let refused = try CLI.run(["run", bad, "--dry-run"])
        #expect(refused.status != 0 && refused.stderr.contains("top_p"), "\(refused.stderr)")
    }
}
