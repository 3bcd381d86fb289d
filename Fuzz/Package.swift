// swift-tools-version:6.0
// WordPipe's fuzz targets: one libFuzzer executable per reader, built apart from the main
// package (sanitizer flags would otherwise reach the normal build). See Fuzz/README.md;
// `Fuzz/run.sh` builds and runs them.
import PackageDescription

/// Every target: name, then the WordPipe products it needs.
let targets: [(String, [String])] = [
    ("FuzzVectorsNative", ["Embeddings"]),
    ("FuzzVectorsWord2VecText", ["Embeddings"]),
    ("FuzzVectorsWord2VecBinary", ["Embeddings"]),
    ("FuzzVectorsFastText", ["Embeddings"]),
    ("FuzzVectorsGloVe", ["Embeddings"]),
    ("FuzzVocabulary", ["Vocabulary"]),
    ("FuzzEncodedCorpus", ["Vocabulary"]),
    ("FuzzCheckpoint", ["Vocabulary", "Embeddings"]),
    ("FuzzModelFile", ["Models"]),
    ("FuzzPipelineYAML", ["Pipeline"]),
    ("FuzzCoNLL", ["Corpora"]),
    ("FuzzCoNLLU", ["Corpora"]),
    ("FuzzTSV", ["Corpora"]),
    ("FuzzFastTextLabels", ["Corpora"]),
    ("FuzzWikiExtractor", ["Corpora"]),
    ("FuzzMediaWiki", ["Corpora"]),
    ("FuzzXML", ["Corpora"]),
    ("FuzzHTML", ["Corpora"]),
    ("FuzzJSONL", ["Corpora"]),
]

let package = Package(
    name: "WordPipeFuzz",
    platforms: [.macOS(.v13)],
    dependencies: [.package(name: "WordPipe", path: "..")],
    targets: [
        .target(name: "FuzzSupport", dependencies: [
            .product(name: "WordPipeSupport", package: "WordPipe"),
            .product(name: "Corpora", package: "WordPipe"),
            .product(name: "Vocabulary", package: "WordPipe"),
            .product(name: "Embeddings", package: "WordPipe"),
            .product(name: "Models", package: "WordPipe"),
        ]),
    ] + targets.map { name, products in
        .executableTarget(name: name, dependencies: ["FuzzSupport"] + products.map { .product(name: $0, package: "WordPipe") })
    }
)
