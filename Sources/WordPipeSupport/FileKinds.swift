import Foundation

/// The binary files WordPipe writes, by magic number: what each is and the commands that read
/// it. A file given where another kind is expected (a vector file to `wordpipe tag`, a model to
/// `wordpipe nearest`) gets an error naming what it is and where it goes.
public enum FileKinds {
    /// One kind of file.
    public struct Kind: Sendable, Equatable {
        /// Its 8-byte magic number.
        public var magic: [UInt8]
        /// What it is, as an error names it (`a vector file`).
        public var name: String
        /// The commands that read it.
        public var readers: String
    }

    /// Every kind, by magic number.
    public static let all: [Kind] = [
        Kind(magic: Array("WPVECTRS".utf8), name: "a WordPipe vector file",
             readers: "wordpipe nearest, analogy, similarity, evaluate, convert, or --vectors of train-tagger and train-classifier"),
        Kind(magic: Array("WPCORPUS".utf8), name: "a WordPipe encoded corpus", readers: "wordpipe train"),
        Kind(magic: Array("WPMODEL".utf8) + [0], name: "a WordPipe model file",
             readers: "wordpipe tag, evaluate-tagger (taggers) or classify, evaluate-classifier (classifiers)"),
        Kind(magic: Array("WPRNNPAR".utf8), name: "a WordPipe parameter file", readers: "wordpipe inspect"),
        Kind(magic: Array("WPHNSWIX".utf8), name: "a WordPipe HNSW index", readers: "wordpipe nearest --index, beside its --vectors"),
    ]

    /// The kind whose magic number `head` (a file's first bytes) starts with.
    public static func kind(ofHead head: [UInt8]) -> Kind? {
        all.first { head.count >= 8 && Array(head.prefix(8)) == $0.magic }
    }

    /// The reason to give when a file starting with `head` is not the `expected` kind: what it is
    /// and what reads it, when it is another WordPipe file.
    public static func misplaced(_ head: [UInt8], expected: String) -> String {
        guard let kind = kind(ofHead: head) else { return "not \(expected) (wrong magic number)" }
        return "this is \(kind.name), not \(expected) (it is read by \(kind.readers))"
    }

    /// What the file at `path` looks like, as a phrase for an error (`a directory`, `plain
    /// text (its first line begins "the cat sat")`, `a WordPipe model file (it is read by …)`),
    /// from its type and first 4 KiB; nil when it cannot be examined.
    public static func identify(path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        switch info.st_mode & S_IFMT {
        case S_IFDIR: return "a directory"
        case S_IFREG: break
        default: return "not a regular file (a device, pipe or socket)"
        }
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        let head = [UInt8]((try? handle.read(upToCount: 4096)) ?? Data())
        return identify(head: head)
    }

    /// What a file starting with `head` looks like (see `identify(path:)`).
    public static func identify(head: [UInt8]) -> String {
        if head.isEmpty { return "an empty file" }
        if let kind = kind(ofHead: head) { return "\(kind.name) (it is read by \(kind.readers))" }
        if head.starts(with: [0x1F, 0x8B]) { return "gzip-compressed data" }
        if head.starts(with: Array("BZh".utf8)) { return "bzip2-compressed data" }
        // Text: cut at the last newline, so a character split by the 4 KiB cut does not count.
        let cut = head.count == 4096 ? (head.lastIndex(of: 0x0A) ?? head.count) : head.count
        guard !head.prefix(cut).contains(0), let text = String(validating: head.prefix(cut), as: UTF8.self) else { return "binary data" }
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard let first = lines.first else { return "blank text" }
        let rows = lines.prefix(20).map { $0.split(whereSeparator: { $0 == " " || $0 == "\t" }) }
        func isNumber(_ field: Substring) -> Bool { Double(field) != nil }
        let header = rows[0].count == 2 && rows[0].allSatisfy { Int($0) != nil }
        if header { return "vectors in word2vec or fastText text form (a `COUNT DIM` header)" }
        if rows.allSatisfy({ $0.count >= 3 && $0.dropFirst().allSatisfy(isNumber) }) { return "vectors in text form (a word and numbers per line)" }
        if rows.allSatisfy({ $0.count == 2 && Int($0[1]) != nil }) { return "a vocabulary (a word and its count per line)" }
        let tagged = rows.filter { $0.count >= 2 && $0.count <= 12 && Self.looksLikeTag($0[$0.count - 1]) }
        if tagged.count * 10 >= rows.count * 8 { return "labelled data in CoNLL form (a token and its tags per line)" }
        let start = first.count > 40 ? String(first.prefix(40)) + "…" : first
        return "plain text (its first line begins \"\(start)\")"
    }

    /// A named-entity or chunk tag (`O`, `B-PER`, `I-NP`, `E-LOC`, `S-ORG`) or a POS tag (`NN`, `VBD`, `PROPN`).
    static func looksLikeTag(_ field: Substring) -> Bool {
        if field == "O" { return true }
        if field.count > 2, let first = field.first, "BIESLU".contains(first), field.dropFirst().first == "-" { return true }
        return field.count <= 6 && field.allSatisfy { $0.isUppercase || $0 == "$" }
    }

    /// What the file at `path` is when it cannot be a text input (a directory, a device, a
    /// WordPipe binary file, binary data); nil for text, compressed text included.
    public static func notText(path: String) -> String? {
        guard let what = identify(path: path) else { return nil }
        let nonText = what.hasPrefix("a directory") || what.hasPrefix("not a regular file") || what.hasPrefix("binary data")
            || what.hasPrefix("a WordPipe")
        return nonText ? what : nil
    }

    /// The error text for `path` given where `expected` (`a vector file`) is wanted: what the
    /// file is, then `hint` (where that kind of file comes from).
    public static func notExpected(path: String, expected: String, hint: String) -> String {
        "this is \(identify(path: path) ?? "a file that cannot be examined"), not \(expected); \(hint)"
    }
}
