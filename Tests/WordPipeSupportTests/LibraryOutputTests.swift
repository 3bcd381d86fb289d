import Foundation
import Testing

/// Issue 14, item 7: library modules write nothing to stderr (or stdout) themselves and do not
/// know the command or stage they run under; what they report goes to the log sink of the
/// `RunOptions` (or `TrainingOptions`, `ModelTrainingOptions`) they are given. Only the CLI
/// (`Sources/wordpipe`), the pipeline runner (`Sources/Pipeline`) and the sink itself
/// (`WordPipeSupport`) write.
@Suite struct LibraryOutputTests {
    static let libraries = ["Corpora", "Tokenization", "Vocabulary", "Embeddings", "Recurrent", "Models"]
    static let writers = ["StandardError.", "FileHandle.standardError", "FileHandle.standardOutput", "fputs(", "print(", "stage: String"]

    @Test func libraryModulesDoNotWriteToTheTerminal() throws {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources")
        var found: [String] = []
        var files = 0
        for library in Self.libraries {
            let directory = sources.appendingPathComponent(library)
            for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) where name.hasSuffix(".swift") {
                files += 1
                let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
                for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                    let code = line.trimmingCharacters(in: .whitespaces)
                    if code.hasPrefix("//") { continue }
                    for writer in Self.writers where code.contains(writer) { found.append("\(library)/\(name):\(number + 1): \(code)") }
                }
            }
        }
        #expect(files > 50, "the sources were not found under \(sources.path)")
        #expect(found.isEmpty, "\(found.joined(separator: "\n"))")
    }
}
