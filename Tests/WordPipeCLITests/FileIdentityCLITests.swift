import Foundation
import TestSupport

/// A file given where another kind is expected is named for what it is, with where the expected
/// kind comes from (issue 19, item 4): before, a token file as `--vectors` said `'is' is not a
/// number`, a folder as `--model` `NSCocoaErrorDomain error 256`, and a vector file as `--vocab`
/// `not valid UTF-8`.
@Suite struct FileIdentityCLITests {
    @Test func filesOfTheWrongKindAreNamed() throws {
        let directory = try SharedData.temporaryDirectory()
        func write(_ text: String, _ name: String) throws -> String {
            let path = directory.appendingPathComponent(name).path
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            return path
        }
        let tokens = try write("this is a token file\nand it is not vectors\n", "tokens.txt")
        let vocabulary = try write("the\t10\ncat\t5\nsat\t3\n", "vocab.tsv")
        let conll = try write("EU B-ORG\nrejects O\nGerman B-MISC\ncall O\n", "train.conll")
        let folder = directory.appendingPathComponent("folder").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let vectors = directory.appendingPathComponent("v.wpv").path
        #expect(try CLI.run(["convert", try write("2 2\nthe 0.1 0.2\ncat 0.3 0.1\n", "v.txt"), "-o", vectors]).status == 0)

        let cases: [([String], String)] = [
            (["nearest", "--vectors", tokens, "the"], "\(tokens): this is plain text (its first line begins \"this is a token file\"), not a vector file; give vectors written by wordpipe train"),
            (["nearest", "--vectors", vocabulary, "the"], "this is a vocabulary (a word and its count per line), not a vector file"),
            (["nearest", "--vectors", conll, "the"], "this is labelled data in CoNLL form (a token and its tags per line), not a vector file"),
            (["nearest", "--vectors", folder, "the"], "\(folder): this is a directory, not a vector file"),
            (["tag", "--model", folder, "-"], "\(folder): this is a directory, not a WordPipe model file; give the model file that train-tagger, train-classifier, train-lm or train-seq2seq wrote"),
            (["tag", "--model", tokens, "-"], "this is plain text (its first line begins \"this is a token file\"), not a WordPipe model file"),
            (["tag", "--model", vectors, "-"], "this is a WordPipe vector file, not a WordPipe model file (it is read by wordpipe nearest"),
            (["train", tokens, "--vocab", vectors, "-o", directory.appendingPathComponent("out.wpv").path],
             "\(vectors): this is a WordPipe vector file (it is read by wordpipe nearest"),
            (["train-tagger", "--train", vectors, "--dev", conll, "-o", directory.appendingPathComponent("m.wpm").path],
             "\(vectors): this is a WordPipe vector file (it is read by wordpipe nearest, analogy, similarity, evaluate, convert, or --vectors of train-tagger and train-classifier), not labelled data"),
            (["train-classifier", "--train", folder, "--dev", folder, "-o", directory.appendingPathComponent("m.wpm").path],
             "\(folder): this is a directory, not labelled data"),
            (["evaluate", "--vectors", vectors, "--pairs", vectors], "\(vectors): this is a WordPipe vector file (it is read by"),
        ]
        for (arguments, expected) in cases {
            let result = try CLI.run(arguments, stdin: Data())
            #expect(result.status == 1, "\(arguments): \(result.status) \(result.stderr)")
            #expect(result.stderr.contains(expected), "\(arguments): \(result.stderr)")
            #expect(!result.stderr.contains("NSCocoaErrorDomain") && !result.stderr.contains("is not a number"), "\(result.stderr)")
        }
    }
}
