// libFuzzer target: TSV data (`--format tsv`), read from a scratch file like the CLI reads it.
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ pointer: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    fuzzClassificationFile(pointer, count, format: .tsv)
    return 0
}

@main
enum Main {
    static func main() { runFuzzer(fuzz) }
}
