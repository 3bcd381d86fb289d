import Foundation
import Testing
import TestSupport

/// `wordpipe train-tagger`, `tag`, `evaluate-tagger`, `train-classifier`, `classify` and
/// `evaluate-classifier`, run as a user would.
@Suite(.serialized) struct ModelCLITests {
    /// A CoNLL file where tags follow from the words (people and places among fillers).
    static func conll(_ count: Int, offset: Int, people: [String] = ["John Smith", "Mary", "Ann Lee"],
                      places: [String] = ["Paris", "New York", "Rome"], fillers: [String] = ["the", "man", "went", "to", "saw", "in"]) -> String {
        var text = "-DOCSTART- O\n\n"
        for index in 0..<count {
            let k = index + offset
            var lines: [String] = [fillers[k % fillers.count] + " O"]
            for (position, word) in people[k % people.count].split(separator: " ").enumerated() { lines.append("\(word) \(position == 0 ? "B" : "I")-PER") }
            lines.append(fillers[(k / 3) % fillers.count] + " O")
            for (position, word) in places[(k / 2) % places.count].split(separator: " ").enumerated() { lines.append("\(word) \(position == 0 ? "B" : "I")-LOC") }
            text += lines.joined(separator: "\n") + "\n\n"
        }
        return text
    }

    static func write(_ text: String, _ name: String, in directory: URL) throws -> String {
        let path = directory.appendingPathComponent(name).path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    static let small = ["--hidden", "12", "--dim", "12", "--epochs", "12", "--batch", "8", "--dropout", "0.1", "--lr", "0.02", "--threads", "1"]

    /// `tag --format text` tags raw text through the ICU tokenizer, and `evaluate-tagger` scores
    /// `dev` at 0.9 F1 or more, with the tagger in `model` trained on `conll`'s data.
    static func expectTagsAndScores(model: String, dev: String) throws {
        let text = try CLI.run(["tag", "--model", model, "--format", "text"], stdin: Data("John Smith went to Paris.\n".utf8))
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.hasPrefix("John/B-PER Smith/I-PER went/O to/O Paris/B-LOC ./"), "\(text.stdout)")
        let scored = try CLI.run(["evaluate-tagger", "--model", model, "--test", dev, "--json"])
        #expect(scored.status == 0, "\(scored.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(scored.stdout.utf8)) as? [String: Any]
        let f1 = (object?["micro"] as? [String: Any])?["f1"] as? Double
        #expect((f1 ?? 0) >= 0.9, "\(scored.stdout)")
    }

    @Test func taggerCommands() throws {
        let directory = try SharedData.temporaryDirectory()
        let train = try Self.write(Self.conll(90, offset: 0), "train.txt", in: directory)
        let dev = try Self.write(Self.conll(30, offset: 7), "dev.txt", in: directory)
        let model = directory.appendingPathComponent("ner.wpm").path
        let trained = try CLI.run(["train-tagger", "--train", train, "--dev", dev, "-o", model] + Self.small)
        #expect(trained.status == 0, "\(trained.stderr)")
        // One line per epoch, in the documented layout.
        let epochLines = trained.stderr.split(separator: "\n").filter { $0.hasPrefix("train-tagger: epoch ") }
        #expect(epochLines.count >= 1)
        #expect(epochLines.first?.contains(/epoch 1\/12 loss [0-9.]+ dev_f1 [0-9.]+ train_s [0-9.]+ tokens\/s [0-9]+ elapsed_s [0-9.]+/) == true)

        // conll output: every input line, plus the prediction as a last column.
        let tagged = try CLI.run(["tag", "--model", model, dev])
        #expect(tagged.status == 0, "\(tagged.stderr)")
        let input = try String(contentsOfFile: dev, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        let output = tagged.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(output.count == input.count)
        #expect(output[0] == "-DOCSTART- O" && output[1] == "")
        #expect(output[2].hasPrefix(input[2] + " ") && output[2].split(separator: " ").count == 3)

        try Self.expectTagsAndScores(model: model, dev: dev)

        // Bad input names file and line; a classifier-only command refuses a tagger.
        let broken = try Self.write("John B-PER\nSmith I-PER extra\n", "broken.txt", in: directory)
        let failed = try CLI.run(["evaluate-tagger", "--model", model, "--test", broken])
        #expect(failed.status == 1)
        #expect(failed.stderr.contains("wordpipe evaluate-tagger: error: \(broken):2:"), "\(failed.stderr)")
        let wrongTask = try CLI.run(["classify", "--model", model, dev])
        #expect(wrongTask.status == 1)
        #expect(wrongTask.stderr.contains("tagger model, not a classifier"), "\(wrongTask.stderr)")
        let badOption = try CLI.run(["train-tagger", "--train", train, "--dev", dev, "-o", model, "--layers", "9"])
        #expect(badOption.status == 64, "\(badOption.stderr)")
        let noDirectory = try CLI.run(["train-tagger", "--train", train, "--dev", dev, "-o", "/nonexistent-dir/m.wpm"])
        #expect(noDirectory.status == 64 && noDirectory.stderr.contains("does not exist"), "\(noDirectory.stderr)")
        // Input that is not UTF-8 is refused with its line, not read as replacement characters.
        let latin1 = directory.appendingPathComponent("latin1.txt").path
        try Data([0x4A, 0x6F, 0x68, 0x6E, 0x0A, 0x63, 0x61, 0x66, 0xE9, 0x0A]).write(to: URL(fileURLWithPath: latin1))
        let notUTF8 = try CLI.run(["tag", "--model", model, "--format", "text", latin1])
        #expect(notUTF8.status == 1)
        #expect(notUTF8.stderr.contains("\(latin1):2: not valid UTF-8"), "\(notUTF8.stderr)")
    }

    @Test("--tag-scheme bioes and --word-dropout train, tag in IOB2 and are validated by name")
    func taggerSchemeAndWordDropout() throws {
        let directory = try SharedData.temporaryDirectory()
        let train = try Self.write(Self.conll(90, offset: 0), "train.txt", in: directory)
        let dev = try Self.write(Self.conll(30, offset: 7), "dev.txt", in: directory)
        let model = directory.appendingPathComponent("bioes.wpm").path
        let trained = try CLI.run(["train-tagger", "--train", train, "--dev", dev, "-o", model, "--tag-scheme", "bioes",
                                   "--word-dropout", "0.05"] + Self.small)
        #expect(trained.status == 0, "\(trained.stderr)")
        #expect(trained.stderr.contains("labels (BIOES chunks, scored by entity F1)"), "\(trained.stderr)")
        try Self.expectTagsAndScores(model: model, dev: dev)  // in IOB2

        for (option, value) in [("--word-dropout", "1.5"), ("--word-dropout", "-0.1"), ("--tag-scheme", "bilou")] {
            let bad = try CLI.run(["train-tagger", "--train", train, "--dev", dev, "-o", model, option, value])
            #expect(bad.status == 64 && bad.stderr.contains(option), "\(option) \(value): \(bad.stderr)")
        }
    }

    @Test func classifierCommands() throws {
        let directory = try SharedData.temporaryDirectory()
        func rows(_ count: Int, _ offset: Int) -> String {
            let fillers = ["the", "film", "was", "a", "story", "with"]
            var text = "label\tsentence\n"
            for index in 0..<count {
                let k = index + offset
                let cue = k % 2 == 0 ? "great" : "awful"
                text += "\(k % 2 == 0 ? "pos" : "neg")\t\(fillers[k % 6]) \(fillers[(k / 2) % 6]) \(cue) \(fillers[(k / 3) % 6])\n"
            }
            return text
        }
        let train = try Self.write(rows(120, 0), "train.tsv", in: directory)
        let dev = try Self.write(rows(40, 5), "dev.tsv", in: directory)
        let model = directory.appendingPathComponent("sentiment.wpm").path
        let trained = try CLI.run(["train-classifier", "--train", train, "--dev", dev, "-o", model] + Self.small)
        #expect(trained.status == 0, "\(trained.stderr)")
        let classified = try CLI.run(["classify", "--model", model, "-"], stdin: Data("label\ttext\npos\tthe film was great\nneg\ta story , awful\n".utf8))
        #expect(classified.status == 0, "\(classified.stderr)")
        #expect(classified.stdout == "pos\tthe film was great\nneg\ta story , awful\n")
        let scored = try CLI.run(["evaluate-classifier", "--model", model, "--test", dev, "--json"])
        #expect(scored.status == 0, "\(scored.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(scored.stdout.utf8)) as? [String: Any]
        #expect(Set(object?.keys.map { $0 } ?? []) == ["accuracy", "confusion", "labels", "macro_f1", "per_class"])
        #expect((object?["accuracy"] as? Double ?? 0) >= 0.95)
        let unknown = try Self.write("label\ttext\nmaybe\tthe film\n", "unknown.tsv", in: directory)
        let failed = try CLI.run(["evaluate-classifier", "--model", model, "--test", unknown])
        #expect(failed.status == 1)
        #expect(failed.stderr.contains("\(unknown):2: label 'maybe'"), "\(failed.stderr)")
    }

    /// The data format follows the file name (`.conllu`, `.conll`) unless --format says
    /// otherwise; a contradiction is refused before anything runs (issue 19, item 3).
    @Test func taggedDataFormatFollowsTheFileName() throws {
        let directory = try SharedData.temporaryDirectory()
        var conllu = ""
        for index in 0..<40 {
            let words = [("The", "DET"), (["cat", "dog", "bird"][index % 3], "NOUN"), (["runs", "sleeps"][index % 2], "VERB")]
            conllu += "# sent_id = \(index)\n" + words.enumerated().map { "\($0.offset + 1)\t\($0.element.0)\t_\t\($0.element.1)\t_\t_\t0\t_\t_\t_" }.joined(separator: "\n") + "\n\n"
        }
        let train = try Self.write(conllu, "train.conllu", in: directory)
        let model = directory.appendingPathComponent("pos.wpm").path
        let trained = try CLI.run(["train-tagger", "--train", train, "--dev", train, "-o", model, "--epochs", "1", "--hidden", "4", "--dim", "4",
                                   "--no-crf", "--threads", "1"])
        #expect(trained.status == 0, "\(trained.stderr)")
        let inspect = try CLI.run(["inspect", model])
        #expect(inspect.stdout.contains("format: conllu"), "\(inspect.stdout)")
        let contradiction = try CLI.run(["train-tagger", "--train", train, "--dev", train, "-o", model, "--format", "conll"])
        #expect(contradiction.status == 64 && contradiction.stderr.contains("contradicts the name of"), "\(contradiction.stderr)")
        // tag reads a .conllu input as CoNLL-U, whatever the model was trained on.
        let tagged = try CLI.run(["tag", "--model", model, train])
        #expect(tagged.status == 0, "\(tagged.stderr)")
        #expect(tagged.stdout.hasPrefix("# sent_id = 0\n1\tThe\t"), "\(tagged.stdout.prefix(200))")
        let wrong = try CLI.run(["tag", "--model", model, train, "--format", "conll"])
        #expect(wrong.status == 64 && wrong.stderr.contains("contradicts the name of"))
        // evaluate-tagger reads --test in the model's format, and refuses a file named for the other.
        #expect(try CLI.run(["evaluate-tagger", "--model", model, "--test", train]).status == 0)
        let renamed = try Self.write(conllu, "test.conll", in: directory)
        let mismatch = try CLI.run(["evaluate-tagger", "--model", model, "--test", renamed])
        #expect(mismatch.status == 1 && mismatch.stderr.contains("is conll by its name, but the model reads conllu data"), "\(mismatch.stderr)")
    }
}
