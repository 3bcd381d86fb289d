import Foundation
import Testing

/// The inputs the fuzzers found crashing `wordpipe` (kept in Tests/Fixtures/fuzz, found by the
/// targets in Fuzz/): each must now be refused with an error that names the file, never a crash.
@Suite struct FuzzReproducerTests {
    static let fixtures: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/fuzz")

    @Test(arguments: [
        ("vectors-header-without-newline.txt", ["nearest", "--vectors"], "the header says 315764 vectors, the file has 0"),
        ("vectors-header-promises-135M-rows.txt", ["nearest", "--vectors"], "the header promises 135575541 vectors"),
        ("vectors-header-without-newline.txt", ["inspect", "--verify"], "not a WordPipe binary file"),
        ("encoded-corpus-sentence-count-overflow.wpc", ["inspect", "--verify"], "damaged header"),
    ])
    func reproducerIsRefused(file: String, command: [String], message: String) throws {
        let path = Self.fixtures.appendingPathComponent(file).path
        let result = try CLI.run(command + [path] + (command.first == "nearest" ? ["the"] : []))
        #expect(result.reason == .exit && result.status == 1, "\(file): \(result.reason) \(result.status) \(result.stderr)")
        #expect(result.stderr.contains(path), "\(file): the error names no file: \(result.stderr)")
        #expect(result.stderr.contains(message), "\(file): \(result.stderr)")
        #expect(!result.stderr.contains("Fatal error") && !result.stderr.contains("Crash"), "\(file): \(result.stderr)")
    }
}
