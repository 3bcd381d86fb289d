import Foundation
import Testing
import TestSupport

/// A tagger and a classifier trained once for the suite, on data with multi-byte words (an
/// emoji, accented letters) so that offsets in Unicode scalars differ from UTF-16 and UTF-8 ones.
struct RawTextModels: Sendable {
    var directory: URL
    var tagger: String
    var classifier: String

    static let people = ["John Smith", "Mary", "Zoë Čapek"], places = ["Paris", "New York", "Zürich"]
    static let fillers = ["the", "man", "went", "to", "saw", "in", "😀"]

    static func conll(_ count: Int, offset: Int) -> String {
        ModelCLITests.conll(count, offset: offset, people: people, places: places, fillers: fillers)
    }

    /// Three classes, each with its cue word among fillers.
    static func rows(_ count: Int, _ offset: Int) -> String {
        let fillers = ["the", "film", "was", "a", "story", "with"], cues = [("pos", "great"), ("neg", "awful"), ("mid", "okay")]
        var text = "label\tsentence\n"
        for index in 0..<count {
            let k = index + offset
            let (label, cue) = cues[k % 3]
            text += "\(label)\t\(fillers[k % 6]) \(fillers[(k / 2) % 6]) \(cue) \(fillers[(k / 3) % 6])\n"
        }
        return text
    }

    struct TrainingFailed: Error, CustomStringConvertible { var description: String }

    static func train() throws -> RawTextModels {
        let directory = try SharedData.temporaryDirectory()
        let train = try ModelCLITests.write(conll(120, offset: 0), "train.txt", in: directory)
        let dev = try ModelCLITests.write(conll(30, offset: 7), "dev.txt", in: directory)
        let tagger = directory.appendingPathComponent("ner.wpm").path
        let trained = try CLI.run(["train-tagger", "--train", train, "--dev", dev, "-o", tagger] + ModelCLITests.small)
        guard trained.status == 0 else { throw TrainingFailed(description: "train-tagger: \(trained.stderr)") }
        let trainRows = try ModelCLITests.write(rows(150, 0), "train.tsv", in: directory)
        let devRows = try ModelCLITests.write(rows(45, 5), "dev.tsv", in: directory)
        let classifier = directory.appendingPathComponent("sentiment.wpm").path
        let classified = try CLI.run(["train-classifier", "--train", trainRows, "--dev", devRows, "-o", classifier] + ModelCLITests.small)
        guard classified.status == 0 else { throw TrainingFailed(description: "train-classifier: \(classified.stderr)") }
        return RawTextModels(directory: directory, tagger: tagger, classifier: classifier)
    }

    static let shared: Result<RawTextModels, any Error> = Result { try train() }
}

private func jsonObject(_ line: Substring) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not a JSON object: \(line)")
}

/// `tag` and `classify` on raw text (`--format text`): streaming, JSON, `--top`, tabs, and the
/// warnings for input given in the wrong format.
@Suite(.serialized) struct RawTextModelCLITests {
    @Test("tag --format text on 1,000 raw lines through a pipe answers each line before the next is written")
    func tagStreams() throws {
        let models = try RawTextModels.shared.get()
        let lines = (0..<1000).map { k in
            k % 100 == 99 ? "" : "\(RawTextModels.people[k % 3]) went to \(RawTextModels.places[(k / 3) % 3]) \(k)"
        }
        var answered = 0
        try CLI.answersEachLineAsItArrives(["tag", "--model", models.tagger, "--format", "text", "-"], lines: lines) { index, answer in
            answered += 1
            // Output line k answers input line k: its tokens are line k's words.
            let tokens = answer.split(separator: " ").map { (token: Substring) -> Substring in token[..<(token.lastIndex(of: "/") ?? token.endIndex)] }
            #expect(tokens == lines[index].split(separator: " "), "line \(index + 1): \(answer)")
        }
        #expect(answered == 1000)
    }

    @Test("classify --format text answers each line before the next is written")
    func classifyStreams() throws {
        let models = try RawTextModels.shared.get()
        let lines = (0..<50).map { k in k % 10 == 9 ? "" : "the film was \(["great", "awful", "okay"][k % 3]) \(k)" }
        try CLI.answersEachLineAsItArrives(["classify", "--model", models.classifier, "--format", "text"], lines: lines) { index, answer in
            if lines[index].isEmpty {
                #expect(answer == "", "line \(index + 1)")
            } else {
                #expect(answer == "\(["pos", "neg", "mid"][index % 3])\t\(lines[index])", "line \(index + 1)")
            }
        }
    }

    @Test("tag --format text --json: tokens, tags, offsets and entities in Unicode scalars of the line")
    func tagJSON() throws {
        let models = try RawTextModels.shared.get()
        // 😀 is one scalar (two UTF-16 units, four UTF-8 bytes); e + U+0308 is two scalars that
        // the tokenizer composes to ë.
        let input = "😀 Zoë Čapek saw Zürich\n\nZoe\u{308} Čapek went to New York\n"
        let result = try CLI.run(["tag", "--model", models.tagger, "--format", "text", "--json"], stdin: Data(input.utf8))
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 4 && lines[1] == "" && lines[3] == "", "\(result.stdout)")
        guard lines.count == 4 else { return }
        let first = try jsonObject(lines[0])
        #expect(Set(first.keys) == ["text", "tokens", "tags", "offsets", "entities"])
        #expect(first["text"] as? String == "😀 Zoë Čapek saw Zürich")
        #expect(first["tokens"] as? [String] == ["😀", "Zoë", "Čapek", "saw", "Zürich"])
        #expect(first["tags"] as? [String] == ["O", "B-PER", "I-PER", "O", "B-LOC"])
        #expect(first["offsets"] as? [[Int]] == [[0, 1], [2, 5], [6, 11], [12, 15], [16, 22]])
        let entities = try #require(first["entities"] as? [[String: Any]])
        #expect(entities.map { $0["type"] as? String } == ["PER", "LOC"])
        #expect(entities.map { $0["start"] as? Int } == [2, 16])
        #expect(entities.map { $0["end"] as? Int } == [11, 22])
        #expect(entities.map { $0["text"] as? String } == ["Zoë Čapek", "Zürich"])

        let second = try jsonObject(lines[2])
        #expect(second["tokens"] as? [String] == ["Zoë", "Čapek", "went", "to", "New", "York"])
        #expect(second["offsets"] as? [[Int]] == [[0, 4], [5, 10], [11, 15], [16, 18], [19, 22], [23, 27]])
        let spans = try #require(second["entities"] as? [[String: Any]])
        #expect(spans.map { $0["type"] as? String } == ["PER", "LOC"])
        #expect(spans.map { $0["start"] as? Int } == [0, 19])
        #expect(spans.map { $0["end"] as? Int } == [10, 27])
        // The entity's text is the line's own spelling (decomposed), not the token's.
        #expect((spans.first?["text"] as? String).map { Array($0.unicodeScalars) } == Array("Zoe\u{308} Čapek".unicodeScalars))
        #expect(spans.last?["text"] as? String == "New York")

        // --json needs raw text.
        let conll = try CLI.run(["tag", "--model", models.tagger, "--json"], stdin: Data("Paris\n".utf8))
        #expect(conll.status == 64 && conll.stderr.contains("--format text"), "\(conll.stderr)")
    }

    @Test("classify --json gives labels with probabilities, --top K the K most probable")
    func classifyJSONAndTop() throws {
        let models = try RawTextModels.shared.get()
        let input = Data("the film was great\n\nthe story was awful\n".utf8)
        let one = try CLI.run(["classify", "--model", models.classifier, "--format", "text", "--json"], stdin: input)
        #expect(one.status == 0, "\(one.stderr)")
        let lines = one.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 4 && lines[1] == "" && lines[3] == "", "\(one.stdout)")
        guard lines.count == 4 else { return }
        let first = try jsonObject(lines[0])
        #expect(Set(first.keys) == ["text", "labels"])
        #expect(first["text"] as? String == "the film was great")
        let labels = try #require(first["labels"] as? [[String: Any]])
        #expect(labels.count == 1)
        #expect(labels.first?["label"] as? String == "pos")
        let probability = try #require(labels.first?["probability"] as? Double)
        #expect(probability > 0.5 && probability <= 1)
        #expect(((try jsonObject(lines[2]))["labels"] as? [[String: Any]])?.first?["label"] as? String == "neg")

        // --top 5 gives all three labels: most probable first, summing to 1.
        let all = try CLI.run(["classify", "--model", models.classifier, "--format", "text", "--json", "--top", "5"], stdin: input)
        #expect(all.status == 0, "\(all.stderr)")
        let ranked = try #require((try jsonObject(all.stdout.split(separator: "\n")[0]))["labels"] as? [[String: Any]])
        #expect(Set(ranked.compactMap { $0["label"] as? String }) == ["pos", "neg", "mid"])
        let probabilities = ranked.compactMap { $0["probability"] as? Double }
        #expect(probabilities.count == 3 && probabilities == probabilities.sorted(by: >))
        #expect(abs(probabilities.reduce(0, +) - 1) < 1e-6)
        #expect(probabilities.first == probability)

        // Plain --top 2: `label prob label prob<TAB>text`; without --top, `label<TAB>text`.
        let two = try CLI.run(["classify", "--model", models.classifier, "--format", "text", "--top", "2"], stdin: input)
        #expect(two.status == 0, "\(two.stderr)")
        let plain = two.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(plain.count == 4)
        #expect(plain.first?.wholeMatch(of: /pos 0\.\d{4} (neg|mid) 0\.\d{4}\tthe film was great/) != nil, "\(two.stdout)")
        #expect(plain.count > 1 && plain[1] == "")
        // --top works on labeled rows too.
        let rows = try CLI.run(["classify", "--model", models.classifier, "--top", "1", "-"], stdin: Data("label\ttext\nneg\tthe film was great\n".utf8))
        #expect(rows.status == 0, "\(rows.stderr)")
        #expect(rows.stdout.wholeMatch(of: /pos [01]\.\d{4}\tthe film was great\n/) != nil, "\(rows.stdout)")
        let zero = try CLI.run(["classify", "--model", models.classifier, "--top", "0", "-"], stdin: input)
        #expect(zero.status == 64 && zero.stderr.contains("--top"), "\(zero.stderr)")
    }

    @Test("A tab in raw text is text: --format text reads whole lines; tsv warns when its label column is not a label")
    func tabInRawText() throws {
        let models = try RawTextModels.shared.get()
        let input = Data("awful film\tthe story was\n".utf8)
        let text = try CLI.run(["classify", "--model", models.classifier, "--format", "text"], stdin: input)
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout == "neg\tawful film\tthe story was\n")
        #expect(text.stderr.isEmpty, "\(text.stderr)")
        let json = try CLI.run(["classify", "--model", models.classifier, "--format", "text", "--json"], stdin: input)
        #expect((try jsonObject(json.stdout.split(separator: "\n")[0]))["text"] as? String == "awful film\tthe story was")

        // The model's own format (tsv) reads `awful film` as a label column: not silently.
        let tsv = try CLI.run(["classify", "--model", models.classifier, "-"], stdin: input)
        #expect(tsv.status == 0, "\(tsv.stderr)")
        #expect(tsv.stderr.contains("<stdin>:1: 'awful film' before the tab is read as a label column"), "\(tsv.stderr)")
        #expect(tsv.stderr.contains("use --format text"), "\(tsv.stderr)")
        // Rows with the model's labels are tsv as meant: no warning.
        let labeled = try CLI.run(["classify", "--model", models.classifier, "-"], stdin: Data("neg\tthe film was awful\n".utf8))
        #expect(labeled.status == 0 && labeled.stderr.isEmpty, "\(labeled.stderr)")

        // tag reads a tab as white space between tokens.
        let tagged = try CLI.run(["tag", "--model", models.tagger, "--format", "text"], stdin: Data("Mary\tsaw Paris\n".utf8))
        #expect(tagged.status == 0, "\(tagged.stderr)")
        #expect(tagged.stdout == "Mary/B-PER saw/O Paris/B-LOC\n")
    }

    @Test("Raw sentences given as CoNLL, and CoNLL given as raw text, get a warning naming the flag to use")
    func formatMismatchWarnings() throws {
        let models = try RawTextModels.shared.get()
        let sentence = try CLI.run(["tag", "--model", models.tagger, "-"], stdin: Data("John Smith went to Paris. B-PER\n".utf8))
        #expect(sentence.status == 0, "\(sentence.stderr)")
        #expect(sentence.stderr.contains("tag: warning: <stdin>:1 looks like a raw sentence"), "\(sentence.stderr)")
        #expect(sentence.stderr.contains("use --format text"), "\(sentence.stderr)")
        // Several raw lines read as one CoNLL sentence fail on their column counts, with the hint.
        let lines = try CLI.run(["tag", "--model", models.tagger, "-"], stdin: Data("John Smith went to Paris.\nMary saw Rome.\n".utf8))
        #expect(lines.status == 1)
        #expect(lines.stderr.contains("<stdin>:2:") && lines.stderr.contains("use --format text"), "\(lines.stderr)")

        let conll = Data("Mary B-PER\nsaw O\nParis B-LOC\n\nJohn B-PER\nSmith I-PER\n".utf8)
        let asText = try CLI.run(["tag", "--model", models.tagger, "--format", "text"], stdin: conll)
        #expect(asText.status == 0, "\(asText.stderr)")
        #expect(asText.stderr.contains("tag: warning: <stdin> looks like CoNLL"), "\(asText.stderr)")
        #expect(asText.stderr.contains("use --format conll"), "\(asText.stderr)")
        // One answer line per input line still.
        #expect(asText.stdout.split(separator: "\n", omittingEmptySubsequences: false).count == 7, "\(asText.stdout)")

        // Neither warns on input in the right format.
        let right = try CLI.run(["tag", "--model", models.tagger], stdin: conll)
        #expect(right.status == 0 && right.stderr.isEmpty, "\(right.stderr)")
        let raw = try CLI.run(["tag", "--model", models.tagger, "--format", "text"],
                              stdin: Data("John Smith went to Paris.\nI flew a B-52\nPlan B\n".utf8))
        #expect(raw.status == 0 && raw.stderr.isEmpty, "\(raw.stderr)")
    }
}
