/// What `wordpipe serve` serves and its limits: the one configuration the CLI fills in.
public struct ServeConfiguration: Codable, Sendable, Equatable {
    /// The vector file (native `.wpv` stays memory-mapped; word2vec, fastText and GloVe are read).
    public var vectors: String?
    /// Model files of any type that answers texts (taggers at `/v1/tag`, classifiers at
    /// `/v1/classify`). A model's name in requests is its file name without the extension.
    public var models: [String]
    /// The address to listen on (loopback by default).
    public var host: String
    /// The port (0: any free port, printed when the server is running).
    public var port: Int
    /// The largest request body, in bytes (larger: 413).
    public var maxBodyBytes: Int
    /// The largest `k` a query may ask for.
    public var maxK: Int
    /// The most Unicode scalars of text one request may carry (all its texts together).
    public var maxTextScalars: Int
    /// The most texts one request may carry.
    public var maxTexts: Int
    /// Seconds a request may take before it is answered 503.
    public var timeLimit: Double
    /// Threads a model may use for one request.
    public var threads: Int

    public init(vectors: String? = nil, models: [String] = [], host: String = "127.0.0.1", port: Int = 8080,
                maxBodyBytes: Int = 1 << 20, maxK: Int = 1000, maxTextScalars: Int = 100_000, maxTexts: Int = 1000,
                timeLimit: Double = 10, threads: Int = 1) {
        self.vectors = vectors
        self.models = models
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
        self.maxK = maxK
        self.maxTextScalars = maxTextScalars
        self.maxTexts = maxTexts
        self.timeLimit = timeLimit
        self.threads = threads
    }
}
