import SystemPackage

/// Lexical path operations on user-given paths, by swift-system's `FilePath`.
///
/// Foundation's `NSString` path methods on Linux crash (an illegal instruction in
/// `_startOfLastPathComponent`) on some paths with non-ASCII names and runs of slashes, such as
/// `/b/é/////l////`; a fuzzed pipeline file found it. `FilePath` collapses repeated separators and
/// handles any bytes, so every component split of a path that came from a user goes through here.
public enum PathNames {
    /// The last component (`a/b.txt` → `b.txt`); "" for "" and "/".
    public static func lastComponent(_ path: String) -> String {
        FilePath(path).lastComponent?.string ?? ""
    }

    /// The path without its last component (`a/b` → `a`, `/a` → `/`, `a` → "").
    public static func parent(_ path: String) -> String {
        FilePath(path).removingLastComponent().string
    }

    /// `component` appended to `path` with one separator.
    public static func appending(_ path: String, _ component: String) -> String {
        FilePath(path).pushing(FilePath(component)).string
    }

    /// The extension of the last component, without the dot ("" when there is none).
    public static func pathExtension(_ path: String) -> String {
        FilePath(path).extension ?? ""
    }

    /// The last component without its extension (`models/ner.wpm` → `ner`).
    public static func stem(_ path: String) -> String {
        FilePath(path).stem ?? ""
    }
}
