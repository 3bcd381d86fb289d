import Foundation
import Testing
import TestSupport

/// `wordpipe inspect` of every artifact (issue 14): vocabularies, a model's configuration,
/// training record and tokenizer configuration, as text and JSON; a file given where another
/// kind is expected names what it is and the commands that read it.
@Suite struct InspectArtifactsCLITests {
    /// A tiny tagger trained by the CLI, and its data.
    static func trainedTagger(in directory: URL) throws -> (model: String, dev: String) {
        let train = try ModelCLITests.write(ModelCLITests.conll(30, offset: 0), "train.txt", in: directory)
        let dev = try ModelCLITests.write(ModelCLITests.conll(10, offset: 7), "dev.txt", in: directory)
        let model = directory.appendingPathComponent("ner.wpm").path
        let small = ["--hidden", "8", "--dim", "8", "--epochs", "2", "--batch", "8", "--threads", "1", "--crf"]
        let trained = try CLI.run(["train-tagger", "--train", train, "--dev", dev, "-o", model] + small)
        #expect(trained.status == 0, "\(trained.stderr)")
        return (model, dev)
    }

    @Test func inspectShowsAModelsConfigurationAndTrainingRecord() throws {
        let directory = try SharedData.temporaryDirectory()
        let (model, _) = try Self.trainedTagger(in: directory)
        let text = try CLI.run(["inspect", model, "--verify"])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.hasPrefix("\(model): model, WPMODEL format version 3\n  task: tagger\n"), "\(text.stdout)")
        for line in ["  crf: yes\n", "  configuration:\n", "    crf: yes\n", "    hidden: 8\n", "    dim: 8\n", "    epochs: 2\n",
                     "  training:\n", "    vectors: none (random initialization)\n", "    epochs: 2\n", "    metric: f1\n"] {
            #expect(text.stdout.contains(line), "missing \(line.debugDescription) in \(text.stdout)")
        }
        #expect(text.stdout.contains(/\n    best epoch: [12]\n/) && text.stdout.contains(/\n    dev score: [0-9.e-]+\n/)
                && text.stdout.contains(/\n    train seconds: [0-9.e-]+\n/), "\(text.stdout)")

        let json = try CLI.run(["inspect", model, "--json"])
        #expect(json.status == 0, "\(json.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["version"] as? Int == 3 && object["kind"] as? String == "model")
        let fields = try #require(object["fields"] as? [String: Any])
        let configuration = try #require(fields["configuration"] as? [String: Any])
        #expect(configuration["crf"] as? Bool == true && configuration["hidden"] as? Int == 8 && configuration["cell"] as? String == "lstm")
        let training = try #require(fields["training"] as? [String: Any])
        #expect(training["epochs"] as? Int == 2 && training["metric"] as? String == "f1" && training["dev_score"] is Double)
        #expect(training["best_epoch"] as? Int != nil && training["total_seconds"] is Double)
    }

    @Test func inspectShowsAModelsTokenizerConfiguration() throws {
        let directory = try SharedData.temporaryDirectory()
        let vectors = try ModelCLITests.write("3 2\nthe 0.1 0.2\nParis 0.3 0.1\nRome -0.2 0.4\n", "tiny.vec", in: directory)
        let native = directory.appendingPathComponent("tiny.wpv").path
        #expect(try CLI.run(["convert", vectors, "-o", native, "--format", "native"]).status == 0)
        let train = try ModelCLITests.write(ModelCLITests.conll(20, offset: 0), "train.txt", in: directory)
        let model = directory.appendingPathComponent("vec.wpm").path
        let trained = try CLI.run(["train-tagger", "--train", train, "--dev", train, "-o", model, "--vectors", native,
                                   "--hidden", "8", "--epochs", "1", "--threads", "1"])
        #expect(trained.status == 0, "\(trained.stderr)")
        let text = try CLI.run(["inspect", model])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("    vectors: \(native)\n"), "\(text.stdout)")
        #expect(text.stdout.contains(/\n    oov train: [0-9.e-]+\n/), "\(text.stdout)")
        let json = try CLI.run(["inspect", model, "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let fields = try #require(object["fields"] as? [String: Any])
        #expect((fields["training"] as? [String: Any])?["vectors"] as? String == native)
        if fields["tokenizer_configuration"] as? Bool == true {
            #expect(fields["tokenizer"] is [String: Any], "\(json.stdout)")
        }
    }

    @Test func inspectDescribesVocabularies() throws {
        let directory = try SharedData.temporaryDirectory()
        let tokens = try ModelCLITests.write("the cat sat\nthe dog sat\nthe end\n", "tokens.txt", in: directory)
        let vocab = directory.appendingPathComponent("vocab.tsv").path
        let built = try CLI.run(["vocab", tokens, "-o", vocab, "--min-count", "1", "--special", "<unk>", "--threads", "1"])
        #expect(built.status == 0, "\(built.stderr)")
        let text = try CLI.run(["inspect", vocab, "--verify"])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.hasPrefix("\(vocab): vocabulary, text (word<TAB>count) format version 1\n"), "\(text.stdout)")
        for line in ["  format: tsv (word<TAB>count)\n", "  words: 6\n", "  special tokens: <unk>\n", "  total count: 8\n",
                     "  largest count: 3\n", "  smallest count: 1\n", "  side file: \(vocab).json\n", "  corpus tokens: 8\n",
                     "  configuration:\n", "    min_count: 1\n", "  checksums: none (a text file; every line was read and checked)\n"] {
            #expect(text.stdout.contains(line), "missing \(line.debugDescription) in \(text.stdout)")
        }
        let json = try CLI.run(["inspect", vocab, "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["kind"] as? String == "vocabulary")
        let fields = try #require(object["fields"] as? [String: Any])
        #expect(fields["words"] as? Int == 6 && fields["special_tokens"] as? [String] == ["<unk>"])
        #expect((fields["configuration"] as? [String: Any])?["min_count"] as? Int == 1)

        // word2vec's `word count`, without a side file.
        let w2v = try ModelCLITests.write("the 3\nsat 2\ncat 1\n", "vocab.w2v", in: directory)
        let plain = try CLI.run(["inspect", w2v])
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(plain.stdout.contains("  format: word2vec (word count)\n  words: 3\n"), "\(plain.stdout)")
        #expect(plain.stdout.contains("  side file: none"), "\(plain.stdout)")

        // A damaged vocabulary names its line.
        let broken = try ModelCLITests.write("the\t3\nsat\t2\nsat\t1\n", "broken.tsv", in: directory)
        let refused = try CLI.run(["inspect", broken])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("\(broken):3"), "\(refused.stderr)")
    }

    @Test func misplacedFilesNameWhatTheyAre() throws {
        let directory = try SharedData.temporaryDirectory()
        let (model, dev) = try Self.trainedTagger(in: directory)
        let vectors = try ModelCLITests.write("2 2\nthe 0.1 0.2\ncat 0.3 0.1\n", "tiny.vec", in: directory)
        let native = directory.appendingPathComponent("tiny.wpv").path
        #expect(try CLI.run(["convert", vectors, "-o", native, "--format", "native"]).status == 0)

        let tag = try CLI.run(["tag", "--model", native, dev])
        #expect(tag.status == 1)
        #expect(tag.stderr.contains("\(native): this is a WordPipe vector file, not a WordPipe model file (it is read by wordpipe nearest"), "\(tag.stderr)")
        let classify = try CLI.run(["classify", "--model", native, dev])
        #expect(classify.status == 1 && classify.stderr.contains("this is a WordPipe vector file"), "\(classify.stderr)")

        let nearest = try CLI.run(["nearest", "--vectors", model, "the"])
        #expect(nearest.status == 1)
        #expect(nearest.stderr.contains("\(model): this is a WordPipe model file, not a vector file (it is read by wordpipe tag"), "\(nearest.stderr)")
        let similarity = try CLI.run(["similarity", "--vectors", model, "the", "cat"])
        #expect(similarity.status == 1 && similarity.stderr.contains("this is a WordPipe model file"), "\(similarity.stderr)")
        let convert = try CLI.run(["convert", model, "-o", directory.appendingPathComponent("out.vec").path, "--format", "word2vec-text"])
        #expect(convert.status == 1 && convert.stderr.contains("this is a WordPipe model file"), "\(convert.stderr)")
    }
}
