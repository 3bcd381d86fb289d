import Foundation
import Testing
import TestSupport

/// `wordpipe train-seq2seq`, `translate` and `evaluate-seq2seq`, run as a user would, with their bad inputs.
@Suite(.serialized) struct Seq2SeqCLITests {
    static func write(_ lines: [String], _ name: String, in directory: URL) throws -> String {
        let path = directory.appendingPathComponent(name).path
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    static let german = ["ein hund läuft", "eine katze schläft", "der hund schläft", "die katze läuft", "ein kleiner hund", "eine große katze"]
    static let english = ["a dog runs", "a cat sleeps", "the dog sleeps", "the cat runs", "a small dog", "a big cat"]
    static let small = ["--hidden", "8", "--dim", "8", "--epochs", "2", "--batch", "3", "--threads", "2", "--progress", "never"]

    /// Trains, translates from a file and from stdin (greedy and beam), scores the output, and
    /// handles a 10,000-token line with a warning.
    @Test func trainTranslateEvaluate() throws {
        let directory = try SharedData.temporaryDirectory()
        let source = try Self.write(Self.german, "train.de", in: directory), target = try Self.write(Self.english, "train.en", in: directory)
        let model = directory.appendingPathComponent("m.wpm").path
        let trained = try CLI.run(["train-seq2seq", "--source", source, "--target", target, "--dev-source", source, "--dev-target", target,
                                   "-o", model, "--attention", "luong-general", "--cell", "lstm"] + Self.small)
        #expect(trained.status == 0, "\(trained.stderr)")
        #expect(trained.stderr.contains("train-seq2seq: epoch 2/2 loss"), "\(trained.stderr)")
        #expect(trained.stderr.contains("dev_bleu"), "\(trained.stderr)")

        let output = directory.appendingPathComponent("out.en").path
        let translated = try CLI.run(["translate", "--model", model, source, "-o", output, "--beam", "3"])
        #expect(translated.status == 0, "\(translated.stderr)")
        let lines = try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == Self.german.count + 1)

        let piped = try CLI.run(["translate", "--model", model, "--json"], stdin: Data("ein hund\n\nkatze\n".utf8))
        #expect(piped.status == 0, "\(piped.stderr)")
        let objects = piped.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(objects.count == 3, "\(piped.stdout)")
        #expect(objects.allSatisfy { $0["translation"] is String && $0["score"] is Double })

        let scored = try CLI.run(["evaluate-seq2seq", "--hypotheses", output, "--references", target, "--json"])
        #expect(scored.status == 0, "\(scored.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(scored.stdout.utf8)) as? [String: Any]
        #expect(object?["bleu"] is Double && object?["chrf"] is Double, "\(scored.stdout)")

        let long = try Self.write([Array(repeating: "hund", count: 10_000).joined(separator: " ")], "long.de", in: directory)
        let cut = try CLI.run(["translate", "--model", model, long])
        #expect(cut.status == 0, "\(cut.stderr)")
        #expect(cut.stderr.contains("long.de:1: 10000 tokens; translating the first 400"), "\(cut.stderr)")
        #expect(cut.stdout.filter { $0 == "\n" }.count == 1, "\(cut.stdout)")
    }

    /// --attention-svg draws the first line's attention, one shaded cell per (output token or
    /// </s>, source token) with the words escaped; --replace-unk and --attention-svg are refused
    /// for a model without attention, and a heatmap of no input is an error, not a missing file.
    @Test func attentionHeatmapAndReplaceUnk() throws {
        let directory = try SharedData.temporaryDirectory()
        let source = try Self.write(Self.german, "train.de", in: directory), target = try Self.write(Self.english, "train.en", in: directory)
        let model = directory.appendingPathComponent("m.wpm").path, plain = directory.appendingPathComponent("none.wpm").path
        let fed = directory.appendingPathComponent("fed.wpm").path
        for (path, flags) in [(model, ["--attention", "bahdanau"]), (fed, ["--attention", "bahdanau", "--input-feeding"]),
                              (plain, ["--attention", "none"])] {
            let trained = try CLI.run(["train-seq2seq", "--source", source, "--target", target, "--dev-source", source, "--dev-target", target,
                                       "-o", path] + flags + Self.small)
            #expect(trained.status == 0, "\(trained.stderr)")
        }
        // The same with and without input feeding.
        for attended in [model, fed] {
            let svg = directory.appendingPathComponent("a.svg").path
            let drawn = try CLI.run(["translate", "--model", attended, "--attention-svg", svg, "--json", "--attention", "--replace-unk"],
                                    stdin: Data("ein <hund> & katze\nder hund\n".utf8))
            #expect(drawn.status == 0, "\(drawn.stderr)")
            let first = try #require(drawn.stdout.split(separator: "\n").first.flatMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] })
            let tokens = try #require(first["tokens"] as? [String]), weights = try #require(first["attention"] as? [[Double]])
            #expect(!tokens.contains("<unk>"), "\(tokens)")
            let picture = try String(contentsOfFile: svg, encoding: .utf8)
            #expect(picture.hasPrefix("<?xml") && picture.hasSuffix("</svg>\n"))
            #expect(picture.components(separatedBy: "<rect x=").count - 1 == (tokens.count + 1) * 4)
            #expect(weights.count == tokens.count + 1)
            #expect(picture.contains("&lt;hund&gt;") && picture.contains(">&amp;<") && !picture.contains("<hund>"))
        }
        let svg = directory.appendingPathComponent("a.svg").path

        // Input feeding without attention: nothing to feed, refused before reading data.
        let refusedFeeding = try CLI.run(["train-seq2seq", "--source", source, "--target", target, "--dev-source", source, "--dev-target", target,
                                          "-o", directory.appendingPathComponent("x.wpm").path, "--attention", "none", "--input-feeding"] + Self.small)
        #expect(refusedFeeding.status != 0)
        #expect(refusedFeeding.stderr.contains("invalid value true for --input-feeding: expected false when attention is none"), "\(refusedFeeding.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("x.wpm").path))

        for flags in [["--replace-unk"], ["--attention-svg", svg]] {
            let refused = try CLI.run(["translate", "--model", plain] + flags, stdin: Data("ein hund\n".utf8))
            #expect(refused.status != 0)
            #expect(refused.stderr.contains("needs attention"), "\(refused.stderr)")
        }
        let empty = try CLI.run(["translate", "--model", model, "--attention-svg", directory.appendingPathComponent("b.svg").path], stdin: Data())
        #expect(empty.status != 0)
        #expect(empty.stderr.contains("no input line"), "\(empty.stderr)")

        // Each pair ends with a name seen once, so that the target vocabulary (--min-count 2)
        // reads it as <unk> and the model learns to write <unk> there: --replace-unk then puts a
        // source token in each <unk>'s place and changes nothing else.
        let names = ["Anna", "Bernd", "Clara", "Dieter", "Emma", "Fritz"]
        let named = try Self.write(zip(Self.german, names).map { "\($0) \($1)" }, "named.de", in: directory)
        let namedTarget = try Self.write(zip(Self.english, names).map { "\($0) \($1)" }, "named.en", in: directory)
        let unknowns = directory.appendingPathComponent("unk.wpm").path
        let trained = try CLI.run(["train-seq2seq", "--source", named, "--target", namedTarget, "--dev-source", named, "--dev-target", namedTarget,
                                   "-o", unknowns, "--min-count", "2", "--hidden", "16", "--dim", "16", "--epochs", "30", "--batch", "3",
                                   "--lr", "0.01", "--progress", "never"])
        #expect(trained.status == 0, "\(trained.stderr)")
        let line = "ein hund läuft Gisela"
        func translated(_ flags: [String]) throws -> [String] {
            let run = try CLI.run(["translate", "--model", unknowns, "--json"] + flags, stdin: Data((line + "\n").utf8))
            #expect(run.status == 0, "\(run.stderr)")
            return try #require((try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])?["tokens"] as? [String])
        }
        let raw = try translated([]), replaced = try translated(["--replace-unk"])
        #expect(raw.contains("<unk>"), "\(raw)")
        #expect(raw.count == replaced.count && !replaced.contains("<unk>"), "\(raw) \(replaced)")
        for (before, after) in zip(raw, replaced) {
            #expect(before == "<unk>" ? line.split(separator: " ").contains(Substring(after)) : after == before, "\(before) -> \(after)")
        }
    }

    /// evaluate-seq2seq --model --source: the references' perplexity, below the uniform
    /// model's (the target vocabulary plus </s>) once trained, lower on the training pairs than on
    /// shuffled pairs; alone or beside BLEU; half the pair is refused.
    @Test func perplexityOfReferences() throws {
        let directory = try SharedData.temporaryDirectory()
        // Five tokens a side, so that dev BLEU (4-grams) picks a trained epoch.
        let german = Self.german.map { $0 + " heute ." }, english = Self.english.map { $0 + " today ." }
        let source = try Self.write(german, "train.de", in: directory), target = try Self.write(english, "train.en", in: directory)
        let shuffled = try Self.write(english.reversed(), "shuffled.en", in: directory)
        let model = directory.appendingPathComponent("m.wpm").path
        let trained = try CLI.run(["train-seq2seq", "--source", source, "--target", target, "--dev-source", source, "--dev-target", target,
                                   "-o", model, "--hidden", "16", "--dim", "16", "--epochs", "30", "--batch", "3", "--lr", "0.01",
                                   "--progress", "never"])
        #expect(trained.status == 0, "\(trained.stderr)")
        func perplexity(_ references: String) throws -> (Double, Int) {
            let run = try CLI.run(["evaluate-seq2seq", "--model", model, "--source", source, "--references", references, "--json"])
            #expect(run.status == 0, "\(run.stderr)")
            let object = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
            #expect(object?["bleu"] == nil)
            return (object?["perplexity"] as? Double ?? .nan, object?["target_tokens"] as? Int ?? 0)
        }
        let (gold, tokens) = try perplexity(target), (other, _) = try perplexity(shuffled)
        #expect(tokens == english.map { $0.split(separator: " ").count + 1 }.reduce(0, +))
        let uniform = Double(Set(english.flatMap { $0.split(separator: " ") }).count + 1)
        #expect(gold >= 1 && gold < uniform / 2, "\(gold) against uniform \(uniform)")
        #expect(gold < other, "\(gold) against shuffled \(other)")

        let both = try CLI.run(["evaluate-seq2seq", "--model", model, "--source", source, "--references", target, "--hypotheses", target])
        #expect(both.status == 0, "\(both.stderr)")
        #expect(both.stdout.hasPrefix("perplexity = ") && both.stdout.contains("BLEU = 100.00"), "\(both.stdout)")
        let half = try CLI.run(["evaluate-seq2seq", "--model", model, "--references", target])
        #expect(half.status != 0 && half.stderr.contains("--model and --source go together"), "\(half.stderr)")
        let nothing = try CLI.run(["evaluate-seq2seq", "--references", target])
        #expect(nothing.status != 0 && nothing.stderr.contains("give --hypotheses"), "\(nothing.stderr)")

        // --detokenize en: the JSON's tokens with the full stop attached, in the plain output and the JSON's translation.
        let input = Data(german.joined(separator: "\n").utf8)
        let plain = try CLI.run(["translate", "--model", model, "--detokenize", "en"], stdin: input)
        let records = try CLI.run(["translate", "--model", model, "--detokenize", "en", "--json"], stdin: input)
        #expect(plain.status == 0 && records.status == 0, "\(plain.stderr)\(records.stderr)")
        let objects = records.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let spaced = objects.compactMap { ($0["tokens"] as? [String])?.joined(separator: " ") }
        #expect(spaced.contains { $0.hasSuffix(" .") }, "\(spaced)")
        let expected = spaced.map { $0.replacingOccurrences(of: " .", with: ".") }
        #expect(plain.stdout.split(separator: "\n").map(String.init) == expected)
        #expect(objects.compactMap { $0["translation"] as? String } == expected)
        let bad = try CLI.run(["translate", "--model", model, "--detokenize", "english!"], stdin: input)
        #expect(bad.status != 0 && bad.stderr.contains("expected a language code"), "\(bad.stderr)")
    }

    /// --tokenize: raw text with glued punctuation is split by each side's ICU tokenizer; the
    /// model keeps both configurations, splits translate's raw input the same way and writes the
    /// target language's spacing. A locale without --tokenize is refused.
    @Test func rawTextSidesAreTokenized() throws {
        let directory = try SharedData.temporaryDirectory()
        let german = Self.german.map { $0.prefix(1).uppercased() + $0.dropFirst() + "." }
        let english = Self.english.map { $0.prefix(1).uppercased() + $0.dropFirst() + "." }
        let source = try Self.write(german, "raw.de", in: directory), target = try Self.write(english, "raw.en", in: directory)
        let model = directory.appendingPathComponent("m.wpm").path
        let trained = try CLI.run(["train-seq2seq", "--source", source, "--target", target, "--dev-source", source, "--dev-target", target,
                                   "-o", model, "--tokenize", "--source-locale", "de", "--target-locale", "en", "--hidden", "16", "--dim", "16",
                                   "--epochs", "30", "--batch", "3", "--lr", "0.01", "--progress", "never"])
        #expect(trained.status == 0, "\(trained.stderr)")
        // 6 pairs of 4 tokens a side (the full stop is a token of its own).
        #expect(trained.stderr.contains("6 training pairs (24 source, 24 target tokens)"), "\(trained.stderr)")
        let translated = try CLI.run(["translate", "--model", model, "--json"], stdin: Data("Ein Hund läuft.\n".utf8))
        #expect(translated.status == 0, "\(translated.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(translated.stdout.utf8)) as? [String: Any])
        #expect(object["source_tokens"] as? [String] == ["Ein", "Hund", "läuft", "."])
        let tokens = try #require(object["tokens"] as? [String])
        #expect(tokens.last == ".", "\(tokens)")
        #expect(object["translation"] as? String == tokens.dropLast().joined(separator: " ") + ".")
        let plain = try CLI.run(["translate", "--model", model], stdin: Data("Ein Hund läuft.\n".utf8))
        #expect(plain.stdout == (object["translation"] as? String ?? "") + "\n")
        let inspected = try CLI.run(["inspect", model, "--json"])
        #expect(inspected.stdout.contains("\"target_locale\":\"en\"") || inspected.stdout.contains("\"target_locale\" : \"en\""), "\(inspected.stdout)")

        let refused = try CLI.run(["train-seq2seq", "--source", source, "--target", target, "--dev-source", source, "--dev-target", target,
                                   "-o", model, "--source-locale", "de"] + Self.small)
        #expect(refused.status != 0 && refused.stderr.contains("no locale without tokenize"), "\(refused.stderr)")
    }

    @Test func badParallelData() throws {
        let directory = try SharedData.temporaryDirectory()
        let source = try Self.write(Self.german, "train.de", in: directory)
        let short = try Self.write(Array(Self.english.prefix(4)), "short.en", in: directory)
        let model = directory.appendingPathComponent("m.wpm").path
        let misaligned = try CLI.run(["train-seq2seq", "--source", source, "--target", short, "--dev-source", source, "--dev-target", short, "-o", model] + Self.small)
        #expect(misaligned.status == 1)
        #expect(misaligned.stderr == "wordpipe train-seq2seq: error: the parallel files are not line-aligned: \(source) has 6 lines, \(short) has 4; give one target line per source line\n")

        var holed = Self.english
        holed[2] = ""
        let target = try Self.write(holed, "holed.en", in: directory)
        let empty = try CLI.run(["train-seq2seq", "--source", source, "--target", target, "--dev-source", source, "--dev-target", target, "-o", model] + Self.small)
        #expect(empty.status == 1)
        #expect(empty.stderr.contains("\(target):3: empty line where \(source) line 3 has text"), "\(empty.stderr)")
        #expect(!FileManager.default.fileExists(atPath: model))
    }

    /// A model of another task given to translate is named, with the command that reads it.
    @Test func otherModelsAreRefused() throws {
        let directory = try SharedData.temporaryDirectory()
        let text = try Self.write(Self.english + Self.english, "text.en", in: directory)
        let lm = directory.appendingPathComponent("lm.wpm").path
        let trained = try CLI.run(["train-lm", "--train", text, "--dev", text, "-o", lm, "--hidden", "4", "--dim", "4", "--epochs", "1",
                                   "--batch", "2", "--progress", "never"])
        #expect(trained.status == 0, "\(trained.stderr)")
        let refused = try CLI.run(["translate", "--model", lm, text])
        #expect(refused.status == 1)
        #expect(refused.stderr == "wordpipe translate: error: \(lm): this is a language-model model, not a seq2seq (use wordpipe generate or wordpipe perplexity)\n")
        let notModel = try CLI.run(["translate", "--model", text, text])
        #expect(notModel.status == 1)
        #expect(notModel.stderr.contains("not a WordPipe model file"), "\(notModel.stderr)")
    }

    /// The train-seq2seq stage: trained in a pipeline, scored on dev and test; translate reads its model.
    @Test func pipelineStage() throws {
        let directory = try SharedData.temporaryDirectory()
        _ = try Self.write(Self.german, "train.de", in: directory)
        _ = try Self.write(Self.english, "train.en", in: directory)
        let pipeline = """
            version: 1
            workdir: build
            stages:
              mt:
                type: train-seq2seq
                with: { source: train.de, target: train.en, dev_source: train.de, dev_target: train.en, test_source: train.de, test_target: train.en, hidden: 8, dim: 8, epochs: 2, batch: 3, attention: luong-dot }
            """
        let path = directory.appendingPathComponent("mt.yaml").path
        try Data(pipeline.utf8).write(to: URL(fileURLWithPath: path))
        let run = try CLI.run(["run", path, "--threads", "1", "--progress", "never"])
        #expect(run.status == 0, "\(run.stderr)")
        for name in ["dev.json", "test.json"] {
            let score = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("build/mt/" + name))) as? [String: Any]
            #expect(score?["bleu"] is Double && score?["chrf"] is Double, "\(String(describing: score))")
        }
        let translated = try CLI.run(["translate", "--model", directory.appendingPathComponent("build/mt/model.wpm").path],
                                     stdin: Data("ein hund\n".utf8))
        #expect(translated.status == 0, "\(translated.stderr)")
        // A test side without the other is refused when the pipeline is read.
        let bad = directory.appendingPathComponent("bad.yaml").path
        try Data(pipeline.replacingOccurrences(of: ", test_target: train.en", with: "").utf8).write(to: URL(fileURLWithPath: bad))
        let refused = try CLI.run(["run", bad, "--dry-run"])
        #expect(refused.status != 0 && refused.stderr.contains("test_source and test_target go together"), "\(refused.stderr)")
        // input_feeding is read from the pipeline file (and refused without attention).
        let unfed = directory.appendingPathComponent("unfed.yaml").path
        try Data(pipeline.replacingOccurrences(of: "attention: luong-dot", with: "attention: none, input_feeding: true").utf8)
            .write(to: URL(fileURLWithPath: unfed))
        let refusedFeeding = try CLI.run(["run", unfed, "--dry-run"])
        #expect(refusedFeeding.status != 0 && refusedFeeding.stderr.contains("input_feeding") && refusedFeeding.stderr.contains("attention is none"),
                "\(refusedFeeding.stderr)")

        // One file of tab-separated pairs per set: the same model as from two files a side.
        _ = try Self.write(zip(Self.german, Self.english).map { "\($0)\t\($1)" }, "train.tsv", in: directory)
        let tabbed = pipeline.replacingOccurrences(of: "source: train.de, target: train.en, dev_source: train.de, dev_target: train.en, test_source: train.de, test_target: train.en",
                                                   with: "pairs: train.tsv, dev_pairs: train.tsv, test_pairs: train.tsv")
            .replacingOccurrences(of: "workdir: build", with: "workdir: build-tsv")
        #expect(tabbed != pipeline)
        let tsvPath = directory.appendingPathComponent("tsv.yaml").path
        try Data(tabbed.utf8).write(to: URL(fileURLWithPath: tsvPath))
        let tsvRun = try CLI.run(["run", tsvPath, "--threads", "1", "--progress", "never"])
        #expect(tsvRun.status == 0, "\(tsvRun.stderr)")
        for name in ["dev.json", "test.json"] {
            let fromSides = try Data(contentsOf: directory.appendingPathComponent("build/mt/" + name))
            #expect(try Data(contentsOf: directory.appendingPathComponent("build-tsv/mt/" + name)) == fromSides, "\(name)")
        }
        let mixed = directory.appendingPathComponent("mixed.yaml").path
        try Data(tabbed.replacingOccurrences(of: "pairs: train.tsv, dev_pairs", with: "pairs: train.tsv, source: train.de, dev_pairs").utf8)
            .write(to: URL(fileURLWithPath: mixed))
        let both = try CLI.run(["run", mixed, "--dry-run"])
        #expect(both.status != 0 && both.stderr.contains("give pairs (one file of tab-separated pairs) or source and target, not both"), "\(both.stderr)")
    }

    /// --pairs / --dev-pairs: one file of `source<TAB>target` lines trains as two files a side
    /// do; a line with another number of tabs or an empty side names its line; the two forms
    /// are not mixed.
    @Test func tabSeparatedPairs() throws {
        let directory = try SharedData.temporaryDirectory()
        let source = try Self.write(Self.german, "train.de", in: directory), target = try Self.write(Self.english, "train.en", in: directory)
        let pairs = try Self.write(zip(Self.german, Self.english).map { "\($0)\t\($1)" }, "train.tsv", in: directory)
        let fromSides = directory.appendingPathComponent("a.wpm").path, fromPairs = directory.appendingPathComponent("b.wpm").path
        let one = ["--hidden", "8", "--dim", "8", "--epochs", "2", "--batch", "3", "--threads", "1", "--progress", "never"]
        let sides = try CLI.run(["train-seq2seq", "--source", source, "--target", target, "--dev-source", source, "--dev-target", target,
                                 "-o", fromSides] + one)
        let tabbed = try CLI.run(["train-seq2seq", "--pairs", pairs, "--dev-pairs", pairs, "-o", fromPairs] + one)
        #expect(sides.status == 0 && tabbed.status == 0, "\(sides.stderr)\n\(tabbed.stderr)")
        let input = Data(Self.german.joined(separator: "\n").utf8)
        #expect(try CLI.run(["translate", "--model", fromSides, "--json"], stdin: input).stdout
                == CLI.run(["translate", "--model", fromPairs, "--json"], stdin: input).stdout)

        var lines = zip(Self.german, Self.english).map { "\($0)\t\($1)" }
        lines[3] = "die katze\tthe cat\truns"
        let extra = try Self.write(lines, "extra.tsv", in: directory)
        let refused = try CLI.run(["train-seq2seq", "--pairs", extra, "--dev-pairs", pairs, "-o", fromPairs] + one)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("\(extra):4: expected a source and a target separated by one tab, found 3 fields"), "\(refused.stderr)")
        lines[3] = "die katze läuft\t "
        let half = try Self.write(lines, "half.tsv", in: directory)
        let empty = try CLI.run(["train-seq2seq", "--pairs", pairs, "--dev-pairs", half, "-o", fromPairs] + one)
        #expect(empty.status == 1)
        #expect(empty.stderr.contains("\(half):4: the target side is empty"), "\(empty.stderr)")
        let mixed = try CLI.run(["train-seq2seq", "--pairs", pairs, "--source", source, "--dev-pairs", pairs, "-o", fromPairs] + one)
        #expect(mixed.status != 0 && mixed.stderr.contains("give the training data as --pairs or as --source and --target, not both"), "\(mixed.stderr)")
        let missing = try CLI.run(["train-seq2seq", "--pairs", pairs, "-o", fromPairs] + one)
        #expect(missing.status != 0 && missing.stderr.contains("give the dev data as --dev-source and --dev-target"), "\(missing.stderr)")
    }

    /// Killed with SIGKILL in epoch 3 and resumed from its checkpoint (2 threads, dropout): the
    /// same weights and translations as an uninterrupted run, with and without input feeding.
    @Test(arguments: [[], ["--input-feeding"]])
    func killedAndResumedEqualsUninterrupted(_ flags: [String]) throws {
        let directory = try SharedData.temporaryDirectory()
        let temporary = directory.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        var sources: [String] = [], targets: [String] = []
        for index in 0..<60 {
            let first = index % 6, second = (index / 6) % 6
            sources.append(Self.german[first] + " " + Self.german[second])
            targets.append(Self.english[first] + " " + Self.english[second])
        }
        let source = try Self.write(sources, "train.de", in: directory), target = try Self.write(targets, "train.en", in: directory)
        let base = ["train-seq2seq", "--source", source, "--target", target, "--dev-source", source, "--dev-target", target,
                    "--hidden", "8", "--dim", "8", "--epochs", "3", "--batch", "8", "--dropout", "0.2", "--threads", "2", "--progress", "never"]
            + flags
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
        let whole = try FaultMatrixTests.wordpipe(base + ["-o", path("whole.wpm")], fault: nil, temporary: temporary)
        #expect(whole.status == 0, "\(whole.stderr)")
        let checkpoints = path("checkpoints")
        let killed = try FaultMatrixTests.wordpipe(base + ["-o", path("resumed.wpm"), "--checkpoint", checkpoints], fault: "train-batch:20",
                                                   temporary: temporary)
        #expect(killed.killed, "\(killed.stderr)")
        let resumed = try FaultMatrixTests.wordpipe(base + ["-o", path("resumed.wpm"), "--resume", checkpoints], fault: nil, temporary: temporary)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("resumed from \(checkpoints)"), "\(resumed.stderr)")
        #expect(try ModelCheckpointCLITests.parameterSection(path("whole.wpm")) == ModelCheckpointCLITests.parameterSection(path("resumed.wpm")))
        let outputs = try ["whole.wpm", "resumed.wpm"].map { try CLI.run(["translate", "--model", path($0), source, "--beam", "2", "--json"]).stdout }
        #expect(!outputs[0].isEmpty && outputs[0] == outputs[1])
    }
}
