// swift-tools-version:6.0
// WordPipe: raw text corpora to word vectors and recurrent models.
//
// Module flow (no import points back up):
//   WordPipeSupport -> Corpora (readers, labeled data) -> Tokenization (ICU) -> Vocabulary -> Embeddings
//     -> Recurrent (layers on BLAS) -> Models (taggers, classifiers, metrics) -> Pipeline, Serving (HTTP) -> wordpipe (CLI)
import PackageDescription

let package = Package(
    name: "WordPipe",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "wordpipe", targets: ["wordpipe"]),
        .library(name: "Tokenization", targets: ["Tokenization"]),
        .library(name: "Corpora", targets: ["Corpora"]),
        .library(name: "Vocabulary", targets: ["Vocabulary"]),
        .library(name: "WordPipeSupport", targets: ["WordPipeSupport"]),
        .library(name: "Embeddings", targets: ["Embeddings"]),
        .library(name: "Recurrent", targets: ["Recurrent"]),
        .library(name: "Models", targets: ["Models"]),
        .library(name: "Pipeline", targets: ["Pipeline"]),
        .library(name: "Serving", targets: ["Serving"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.5.0"),
    ],
    targets: [
        // System ICU (libicu-dev), called only from C: its headers clash with Foundation's private ICU.
        .target(
            name: "ICUShims",
            linkerSettings: [
                .linkedLibrary("icui18n"), .linkedLibrary("icuuc"), .linkedLibrary("icudata"),
            ]
        ),
        // System libxml2 (libxml2-dev), imported with its ICU include switched off.
        .systemLibrary(name: "CLibXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),
        // zlib and libbz2 for transparent .gz/.bz2 input.
        .systemLibrary(name: "CCompression", providers: [.apt(["zlib1g-dev", "libbz2-dev"])]),
        // CRC-32C, the checksum of every binary file (SSE4.2 with a portable fallback, chosen at run time).
        .target(name: "ChecksumKernels"),
        .target(name: "WordPipeSupport", dependencies: ["ChecksumKernels", .product(name: "SystemPackage", package: "swift-system")]),
        .target(name: "Corpora", dependencies: ["WordPipeSupport", "CLibXML2", "CCompression"]),
        .target(name: "Tokenization", dependencies: ["WordPipeSupport", "Corpora", "ICUShims"]),
        // The counting hot loop (hash table keyed by token bytes) in C.
        .target(name: "CountingKernels"),
        .target(name: "Vocabulary", dependencies: ["WordPipeSupport", "Corpora", "Tokenization", "CountingKernels", "CCompression"]),
        // CBLAS from Debian's OpenBLAS (libopenblas-dev).
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        // The word2vec inner loop (skip-gram/CBOW, NS/HS, pWord2Vec batching) in C.
        .target(name: "EmbeddingKernels"),
        // Nearest-word scans in C: float32 scores in a fixed order, the float16 scan (AVX2 + F16C + FMA with a portable fallback).
        .target(name: "QueryKernels"),
        .target(
            name: "Embeddings",
            dependencies: [
                "WordPipeSupport", "Vocabulary", "Tokenization", "EmbeddingKernels", "QueryKernels", "CBLAS",
                .product(name: "HeapModule", package: "swift-collections"),
            ]
        ),
        // The sigmoid/tanh part of a recurrent step for float32 in C (AVX2 + FMA with a portable fallback).
        .target(name: "RecurrentKernels"),
        // Recurrent networks (RNN, LSTM, GRU; bidirectional and stacked) with explicit BPTT, on CBLAS.
        .target(name: "Recurrent", dependencies: ["WordPipeSupport", "CBLAS", "RecurrentKernels", "Vocabulary", "Embeddings"]),
        // Sequence taggers (N-N) and text classifiers (N-1) on the recurrent layers, their metrics and model files.
        .target(
            name: "Models",
            dependencies: ["WordPipeSupport", "Corpora", "Tokenization", "Vocabulary", "Embeddings", "Recurrent"]
        ),
        .target(
            name: "Pipeline",
            dependencies: [
                "WordPipeSupport", "Corpora", "Tokenization", "Vocabulary", "Embeddings", "Models",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // `wordpipe serve`: the HTTP API (JSON endpoints, OpenAPI document) and the web page, on Hummingbird 2.
        .target(
            name: "Serving",
            dependencies: [
                "WordPipeSupport", "Embeddings", "Models",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "wordpipe",
            dependencies: [
                "WordPipeSupport", "Corpora", "Tokenization", "Vocabulary", "Embeddings", "Models", "Pipeline", "Serving",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // Locating ../shared/data for the tests.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "TokenizationTests", dependencies: ["Tokenization", "TestSupport"]),
        .testTarget(name: "CorporaTests", dependencies: ["Corpora", "TestSupport"]),
        .testTarget(name: "VocabularyTests", dependencies: ["Vocabulary", "TestSupport"]),
        .testTarget(name: "WordPipeSupportTests", dependencies: ["WordPipeSupport", "ChecksumKernels", "TestSupport"]),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "Embeddings", "TestSupport"]),
        .testTarget(name: "EmbeddingsTests", dependencies: ["Embeddings", "EmbeddingKernels", "QueryKernels", "CBLAS", "TestSupport"]),
        .testTarget(name: "RecurrentTests", dependencies: ["Recurrent", "RecurrentKernels", "Embeddings", "Vocabulary", "TestSupport"]),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "Recurrent", "Corpora", "Embeddings", "TestSupport"]),
        .testTarget(name: "ServingTests", dependencies: ["Serving", "Embeddings", "Models", "TestSupport", "Vocabulary"]),
        .testTarget(name: "WordPipeCLITests", dependencies: ["wordpipe", "Tokenization", "Vocabulary", "Embeddings", "Models", "Pipeline", "TestSupport"]),
        // The README's "Use it from Swift" example, compiled and run.
        .testTarget(name: "ReadmeExampleTests", dependencies: ["Tokenization", "Vocabulary", "Embeddings"]),
    ]
)
