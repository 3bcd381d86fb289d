// libFuzzer target: vector files, seeded with word2vec-bin files (`WordVectors.load` detects the format
// as `nearest`, `evaluate` and `convert` do).
import Embeddings
import FuzzSupport

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    Seeds.makeVectorSeeds(format: .word2vecBin, extension: "bin")
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ pointer: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    fuzzVectorFile(pointer, count, name: "input.bin")
    return 0
}

@main
enum Main {
    static func main() { runFuzzer(fuzz) }
}
