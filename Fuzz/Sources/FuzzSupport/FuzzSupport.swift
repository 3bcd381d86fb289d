import Corpora
import Embeddings
import Foundation
import Vocabulary
import WordPipeSupport

/// Scratch files for readers that take a path: one folder per process (`WORDPIPE_FUZZ_TMP`
/// when `run.sh` sets it, else a fresh folder in /dev/shm or the temporary folder), rewritten
/// for every input.
public enum FuzzFiles {
    public static let directory: String = {
        let base = ProcessInfo.processInfo.environment["WORDPIPE_FUZZ_TMP"]
            ?? (FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory())
        let path = base + "/wordpipe-fuzz-\(getpid())"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: FuzzFiles.directory) }
        return path
    }()

    /// Writes `count` bytes at `data` to `name` in the scratch folder; returns the path.
    public static func write(_ data: UnsafePointer<UInt8>, _ count: Int, name: String) -> String {
        let path = directory + "/" + name
        write(UnsafeRawBufferPointer(start: data, count: count), to: path)
        return path
    }

    /// Writes `bytes` to `path` (replacing it).
    public static func write(_ bytes: UnsafeRawBufferPointer, to path: String) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        precondition(descriptor >= 0, "fuzz harness: cannot write \(path)")
        var offset = 0
        while offset < bytes.count {
            let written = Foundation.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            precondition(written > 0, "fuzz harness: cannot write \(path)")
            offset += written
        }
        close(descriptor)
    }
}

/// Seed files made with WordPipe's own writers (for the binary formats): when
/// `WORDPIPE_FUZZ_MAKE_SEEDS=DIR` is set, a target's `LLVMFuzzerInitialize` writes its seeds
/// into DIR and exits instead of fuzzing.
public enum Seeds {
    /// Calls `make` with the seed folder and exits, when seeds are asked for.
    public static func makeIfAsked(_ make: (String) throws -> Void) {
        guard let directory = ProcessInfo.processInfo.environment["WORDPIPE_FUZZ_MAKE_SEEDS"] else { return }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try make(directory)
            exit(0)
        } catch {
            FileHandle.standardError.write(Data("making seeds failed: \(error)\n".utf8))
            exit(1)
        }
    }

    /// A few English sentences (the tiny corpus of the binary seeds and of the checkpoint fixture).
    public static let sentences: [String] = [
        "the cat sat on the mat and the dog sat on the log",
        "a dog and a cat are not the same animal",
        "the quick brown fox jumps over the lazy dog",
        "on the mat the cat slept while the dog watched the door",
        "the log was wet and the mat was dry",
        "a fox is not a dog but the fox and the dog both run",
    ]

    /// The vocabulary of `sentences` (every word, by descending count).
    public static func vocabulary() -> Vocabulary {
        var counts: [String: Int64] = [:]
        for sentence in sentences { for word in sentence.split(separator: " ") { counts[String(word), default: 0] += 1 } }
        let sorted = counts.sorted { Vocabulary.precedes(($0.key, $0.value), ($1.key, $1.value)) }
        return Vocabulary(words: sorted.map(\.key), counts: sorted.map(\.value))
    }

    /// Small vectors over `vocabulary()`, with a few odd words (spaces, non-ASCII) mixed in.
    public static func vectors(dim: Int = 5) -> WordVectors {
        var vocabulary = vocabulary()
        vocabulary = Vocabulary(words: vocabulary.words + ["naïve", "東京"], counts: vocabulary.counts + [1, 1])
        var state: UInt64 = 7
        let matrix: [Float] = (0..<(vocabulary.count * dim)).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Int64(state >> 40) - (1 << 23)) / Float(1 << 23)
        }
        return WordVectors(vocabulary: vocabulary, dim: dim, matrix: matrix)
    }
}

/// Reads every document of one file with the corpus reader in `format`; errors are the
/// expected outcome for most inputs and are dropped.
public func readCorpus(_ data: UnsafePointer<UInt8>, _ count: Int, format: InputFormat, name: String) {
    let path = FuzzFiles.write(data, count, name: name)
    let diagnostics = Diagnostics(stage: "fuzz", printLimit: 0, echo: false)
    do {
        let reader = try CorpusReader(inputs: [path], configuration: ReaderConfiguration(format: format), diagnostics: diagnostics)
        var total = 0
        while let document = try reader.next() { total &+= document.text.utf8.count }
        _ = reader.report.invalidSequences
        blackHole(total)
    } catch {
        blackHole(String(describing: error).count)
    }
}

/// Keeps a value alive so the optimiser cannot drop the work that made it.
@inline(never)
public func blackHole<T>(_ value: T) {
    withExtendedLifetime(value) {}
}

/// A valid pointer for an empty input (libFuzzer may pass none).
nonisolated(unsafe) public let emptyInput: UnsafePointer<UInt8> = {
    let pointer = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
    pointer.initialize(to: 0)
    return UnsafePointer(pointer)
}()

@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// Runs libFuzzer's driver on `test` with the command-line arguments and exits with its status.
///
/// SwiftPM links an executable's `main` to the module's own entry point, so each target has a
/// `@main` that calls this instead of relying on libFuzzer's `main`.
public func runFuzzer(_ test: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> Never {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, test))
}

/// The body of the vector-file targets: writes the input to a scratch file named `name` and
/// loads it with `WordVectors.load` (the format detected as `nearest`, `evaluate` and `convert`
/// detect it). Returns the scratch path.
@discardableResult
public func fuzzVectorFile(_ pointer: UnsafePointer<UInt8>?, _ count: Int, name: String) -> String {
    let data = pointer ?? emptyInput
    let path = FuzzFiles.write(data, count, name: name)
    do {
        let (vectors, report) = try WordVectors.load(from: path)
        blackHole((vectors.dim, vectors.vocabulary.count, report))
    } catch {
        blackHole(String(describing: error))
    }
    return path
}

/// The body of the token-labelled targets (CoNLL, CoNLL-U): reads the input from a scratch file
/// as `TaggedFile.read` does for the CLI, with the tag column found from the data and with one
/// taken from the input, with and without required tags; converts the tags between schemes and
/// renders them back (what `tag` writes).
public func fuzzTaggedFile(_ pointer: UnsafePointer<UInt8>?, _ count: Int, format: TaggedDataFormat) {
    let data = pointer ?? emptyInput
    let path = FuzzFiles.write(data, count, name: "input.txt")
    let column: Int? = count > 0 ? Int(data[0] % 12) : nil
    for (tagColumn, requireTags) in [(nil, true), (column, false)] {
        do {
            let file = try TaggedFile.read(path: path, format: format, tagColumn: tagColumn, requireTags: requireTags)
            for sentence in file.sentences {
                blackHole(TagSchemes.fromBIOES(TagSchemes.toBIOES(TagSchemes.toIOB2(sentence.tags))))
            }
            blackHole(try file.rendered(predictions: file.sentences.map(\.tags)))
        } catch {
            blackHole(String(describing: error))
        }
    }
}

/// The body of the text-labelled targets (tsv, fastText): reads the input from a scratch file as
/// `ClassificationFile.read` does for the CLI, with and without required labels.
public func fuzzClassificationFile(_ pointer: UnsafePointer<UInt8>?, _ count: Int, format: ClassificationDataFormat) {
    let path = FuzzFiles.write(pointer ?? emptyInput, count, name: "input.txt")
    for requireLabels in [true, false] {
        do {
            blackHole(try ClassificationFile.read(path: path, format: format, requireLabels: requireLabels))
        } catch {
            blackHole(String(describing: error))
        }
    }
}

extension Seeds {
    /// The seeds of a vector-file target, when seeds are asked for: `small.EXT` (the seed
    /// vectors) and `one.EXT` (their first row) in `format`; `more` may add files of its own.
    public static func makeVectorSeeds(format: VectorFileFormat, extension ext: String,
                                       more: (String, WordVectors) throws -> Void = { _, _ in }) {
        makeIfAsked { directory in
            let vectors = Seeds.vectors()
            try vectors.save(to: directory + "/small." + ext, format: format)
            try vectors.limited(to: 1).save(to: directory + "/one." + ext, format: format)
            try more(directory, vectors)
        }
    }
}
