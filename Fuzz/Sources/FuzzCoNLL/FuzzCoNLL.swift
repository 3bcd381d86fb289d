// libFuzzer target: CoNLL data (`--format conll`), read from a scratch file like the CLI reads it.
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ pointer: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    fuzzTaggedFile(pointer, count, format: .conll)
    return 0
}

@main
enum Main {
    static func main() { runFuzzer(fuzz) }
}
