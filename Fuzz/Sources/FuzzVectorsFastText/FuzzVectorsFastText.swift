// libFuzzer target: vector files, seeded with fasttext files (`WordVectors.load` detects the format
// as `nearest`, `evaluate` and `convert` do).
import Embeddings
import Foundation
import FuzzSupport

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    Seeds.makeVectorSeeds(format: .fasttext, extension: "vec") { directory, vectors in
        // fastText's own writer ends every row with a space before the newline.
        var text = "\(vectors.vocabulary.count) \(vectors.dim)\n"
        for (index, word) in vectors.vocabulary.words.enumerated() {
            text += word + " " + vectors.matrix[index * vectors.dim ..< (index + 1) * vectors.dim].map { String($0) + " " }.joined() + "\n"
        }
        try text.write(toFile: directory + "/trailing-space.vec", atomically: true, encoding: .utf8)
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ pointer: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    fuzzVectorFile(pointer, count, name: "input.vec")
    return 0
}

@main
enum Main {
    static func main() { runFuzzer(fuzz) }
}
