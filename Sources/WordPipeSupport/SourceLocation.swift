/// A place in an input file, printed the way compilers print it: `file:line[:column]`.
public struct SourceLocation: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// The path as the user gave it (or `-` for standard input).
    public var path: String
    /// The 1-based line, or 0 when unknown.
    public var line: Int
    /// The 1-based column, or 0 when unknown.
    public var column: Int

    /// Creates a location; a `line` or `column` of 0 means unknown.
    public init(path: String, line: Int = 0, column: Int = 0) {
        self.path = path
        self.line = line
        self.column = column
    }

    /// `path:line:column`, leaving out the parts that are unknown.
    public var description: String {
        var text = path
        if line > 0 {
            text += ":\(line)"
            if column > 0 { text += ":\(column)" }
        }
        return text
    }
}
