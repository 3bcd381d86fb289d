// libFuzzer target: vector files, seeded with native files (`WordVectors.load` detects the format
// as `nearest`, `evaluate` and `convert` do).
import Embeddings
import FuzzSupport

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    Seeds.makeVectorSeeds(format: .native, extension: "wpv")
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ pointer: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let path = fuzzVectorFile(pointer, count, name: "input.wpv")
    // Queries open native files in place (mapped), a second reader of the same bytes.
    do {
        let (store, _) = try VectorStore.load(from: path)
        blackHole(store.vectors.count)
    } catch {
        blackHole(String(describing: error))
    }
    return 0
}

@main
enum Main {
    static func main() { runFuzzer(fuzz) }
}
