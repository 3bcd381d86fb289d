import Foundation

/// Reads lines from a pipe as they arrive (for tests that check a command answers each input
/// line before its input ends).
public final class ArrivingLines {
    public let handle: FileHandle
    private var buffer: [UInt8] = []

    public init(_ handle: FileHandle) { self.handle = handle }

    /// The next line without its newline, or nil at end of file.
    public func next() -> String? {
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                return line
            }
            let chunk = handle.availableData
            if chunk.isEmpty { return nil }
            buffer.append(contentsOf: chunk)
        }
    }
}
