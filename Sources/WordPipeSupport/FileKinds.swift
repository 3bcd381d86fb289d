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
}
