import Foundation
import Testing
import TestSupport

/// `wordpipe evaluate-tagger --predictions`, run as a user would.
@Suite struct EvaluateTaggerCLITests {
    func write(_ text: String) throws -> String {
        let path = try SharedData.temporaryDirectory().appendingPathComponent("predictions.txt").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func conllevalReportAndJSON() throws {
        let path = try write("-DOCSTART- -X- O O\n\nEU NNP B-ORG B-ORG\nrejects VBZ O O\nGerman JJ B-MISC B-LOC\n\nPeter NNP B-PER I-PER\n")
        let report = try CLI.run(["evaluate-tagger", "--predictions", path])
        #expect(report.status == 0)
        #expect(report.stdout.hasPrefix("processed 4 tokens with 3 phrases; found: 3 phrases; correct: 2.\n"
                                        + "accuracy:  50.00%; precision:  66.67%; recall:  66.67%; FB1:  66.67\n"))
        #expect(report.stdout.contains("              PER: precision: 100.00%; recall: 100.00%; FB1: 100.00  1\n"))
        let json = try CLI.run(["evaluate-tagger", "--predictions", path, "--json"])
        #expect(json.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(Set(object?.keys.map { $0 } ?? []) == ["micro", "per_type", "token_accuracy", "tokens"])
        #expect(json.stdout.hasPrefix(#"{"micro":{"correct":2,"#))
    }

    @Test func malformedLineNamesFileAndLine() throws {
        let path = try write("a B-PER B-PER\nb\n")
        let result = try CLI.run(["evaluate-tagger", "--predictions", path])
        #expect(result.status == 1)
        #expect(result.stderr.contains("wordpipe evaluate-tagger: error: \(path):2: expected at least 2 columns"))
    }
}
