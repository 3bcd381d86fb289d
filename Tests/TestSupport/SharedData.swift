import Foundation

/// Locates the shared test data (`../shared/data` beside the repository). Tests that need a
/// file there are disabled, with a message naming the file, when it is absent.
public enum SharedData {
    /// The repository root, found from this file's path.
    public static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `../shared/data` relative to the repository root.
    public static let root: URL = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/data")

    /// The full path of `relative` under the shared data folder.
    public static func path(_ relative: String) -> String {
        root.appendingPathComponent(relative).path
    }

    /// Whether `relative` exists under the shared data folder.
    public static func exists(_ relative: String) -> Bool {
        FileManager.default.fileExists(atPath: path(relative))
    }

    /// The message for a test disabled because `relative` is missing.
    public static func missing(_ relative: String) -> Comment {
        Comment(rawValue: "needs ../shared/data/\(relative), which is absent")
    }

    /// A Unicode conformance file: from the shared data, else from Debian's unicode-data.
    public static func unicodeFile(_ name: String) -> String? {
        let candidates = [path("unicode/\(name)"), "/usr/share/unicode/auxiliary/\(name)", "/usr/share/unicode/\(name)"]
        return candidates.first { FileManager.default.fileExists(atPath: $0) }
    }

    /// A fresh temporary directory for one test.
    public static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("wordpipe-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// Swift Testing's comment type, re-exported so that `SharedData.missing` can build one.
@_exported import Testing
