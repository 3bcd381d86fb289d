import Embeddings
import Foundation
import Hummingbird
import Logging
import Models
import ServiceLifecycle
import WordPipeSupport

/// `wordpipe serve`: vectors and models behind a JSON API, its OpenAPI document and a web page.
///
/// Each artifact is loaded once (native vectors stay memory-mapped). Vector queries run
/// concurrently; each model answers one request at a time (its layers keep scratch state), with
/// `threads` replicas inside a request. Every request has bounded size (body, texts, `k`) and a
/// time limit; every error is JSON with a 4xx status naming the field. No endpoint reads or
/// writes a file named in a request.
public final class Server: @unchecked Sendable {
    public let configuration: ServeConfiguration
    let vectors: VectorStore?
    let vectorsFile: String?
    /// Answers `/v1/nearest`, batching concurrent queries (nil without vectors).
    let nearestBatcher: NearestBatcher?
    let models: [ServedModel]
    let log: @Sendable (String) -> Void

    /// Loads the artifacts of `configuration`; an error names the file that cannot be served.
    public init(configuration: ServeConfiguration, log: @escaping @Sendable (String) -> Void) throws {
        self.configuration = configuration
        self.log = log
        try Server.check(configuration)
        if let path = configuration.vectors {
            vectors = try VectorStore.load(from: path).0
            vectorsFile = path
        } else {
            vectors = nil
            vectorsFile = nil
        }
        nearestBatcher = vectors.map { NearestBatcher(store: $0, workers: ProcessInfo.processInfo.activeProcessorCount) }
        var models: [ServedModel] = []
        for path in configuration.models {
            let model = try ServedModel(path: path)
            if let other = models.first(where: { $0.name == model.name && $0.verb == model.verb }) {
                throw ServeError("\(path): a \(model.verb) model named '\(model.name)' is already served (\(other.file)); rename one file")
            }
            models.append(model)
        }
        self.models = models
        guard vectors != nil || !models.isEmpty else {
            throw ServeError("nothing to serve: give --vectors, --model or both")
        }
    }

    static func check(_ configuration: ServeConfiguration) throws {
        func positive(_ value: Int, _ name: String) throws {
            if value < 1 { throw ServeError("--\(name) must be at least 1, not \(value)") }
        }
        try positive(configuration.maxBodyBytes, "max-body-bytes")
        try positive(configuration.maxK, "max-k")
        try positive(configuration.maxTextScalars, "max-text")
        try positive(configuration.maxTexts, "max-texts")
        try positive(configuration.threads, "threads")
        if !(configuration.timeLimit > 0) { throw ServeError("--time-limit must be more than 0 seconds") }
        if !(0...65535).contains(configuration.port) { throw ServeError("--port must be 0...65535, not \(configuration.port)") }
    }

    /// Serves until `shouldStop` turns true (checked every 50 ms), then stops gracefully: no new
    /// connections, requests in flight are answered. `onRunning` gets the port listened on.
    public func run(onRunning: @escaping @Sendable (Int) -> Void, shouldStop: @escaping @Sendable () -> Bool) async throws {
        var logger = Logger(label: "wordpipe.serve")
        logger.logLevel = .critical  // errors reach the caller as thrown errors; NIO's shutdown notices are noise
        let app = Application(
            router: makeRouter(),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            onServerRunning: { channel in onRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            tasks.addTask {
                while !shouldStop() { try await Task.sleep(for: .milliseconds(50)) }
                await group.triggerGracefulShutdown()
            }
            // The first to end: the server (an error, or the shutdown it was asked for).
            try await tasks.next()
            tasks.cancelAll()
        }
    }

    // MARK: Routes

    func makeRouter() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: Guard(log: log))
        router.get("/") { _, _ in Server.response(Page.html, contentType: "text/html; charset=utf-8") }
        router.get("healthz") { _, _ in try Server.json(["status": "ok"]) }
        router.get("openapi.json") { _, _ in Server.response(OpenAPI.document(verbs: self.verbDescriptions), contentType: "application/json") }
        router.get("v1/models") { _, _ in try Server.json(self.loaded()) }
        router.post("v1/nearest") { request, _ in try await self.nearest(request) }
        router.post("v1/analogy") { request, _ in try await self.analogy(request) }
        router.post("v1/similarity") { request, _ in try await self.similarity(request) }
        for verb in verbs {
            router.post("v1/\(verb)") { request, _ in try await self.answerTexts(verb: verb, request) }
        }
        return router
    }

    /// The verbs of the loaded models (`tag`, `classify`), sorted.
    var verbs: [String] { Array(Set(models.map(\.verb))).sorted() }

    /// Each verb's options and answer schema (from its first model).
    var verbDescriptions: [OpenAPI.Verb] {
        verbs.compactMap { verb in models.first { $0.verb == verb }?.description }
    }

    func loaded() -> [LoadedArtifact] {
        var result: [LoadedArtifact] = []
        if let vectors, let vectorsFile {
            result.append(LoadedArtifact(name: ServedModel.name(of: vectorsFile), kind: "vectors",
                                         endpoint: ["/v1/nearest", "/v1/analogy", "/v1/similarity"],
                                         file: PathNames.lastComponent(vectorsFile), words: vectors.count, dimension: vectors.dim))
        }
        for model in models {
            // A language model's labels are its vocabulary: its size is listed, not its words.
            result.append(LoadedArtifact(name: model.name, kind: model.typeName, endpoint: ["/v1/\(model.verb)"],
                                         file: PathNames.lastComponent(model.file), words: model.predictsWords ? model.labels.count : nil,
                                         labels: model.predictsWords ? nil : model.labels))
        }
        return result
    }

    // MARK: Vector queries

    func requireVectors() throws -> VectorStore {
        guard let vectors else { throw APIError(status: 404, "no vectors are loaded; start wordpipe serve with --vectors") }
        return vectors
    }

    func checkK(_ k: Int?, default value: Int, limit: Int? = nil) throws -> Int {
        let k = k ?? value
        let limit = min(limit ?? configuration.maxK, configuration.maxK)
        guard (1...limit).contains(k) else { throw APIError.badRequest("k", "must be 1...\(limit), not \(k)") }
        return k
    }

    func checkRestrict(_ restrict: Int?) throws {
        if let restrict, restrict < 1 { throw APIError.badRequest("restrict", "must be at least 1, not \(restrict)") }
    }

    func checkWords(_ words: [String], field: String) throws {
        guard words.count <= 100 else { throw APIError(status: 413, field: field, "at most 100 words, not \(words.count)") }
        for word in words where word.isEmpty || word.unicodeScalars.count > 1000 {
            throw APIError.badRequest(field, word.isEmpty ? "an empty word" : "a word longer than 1000 characters")
        }
    }

    /// The query error of the vector store as an answer naming the field.
    static func queryFailure(_ error: Error, field: String) -> Error {
        switch error {
        case QueryError.unknownWords(let words):
            return APIError.unprocessable(field, "not in the vocabulary: \(words.joined(separator: ", "))")
        case QueryError.invalid(let message):
            return APIError.badRequest(field, message)
        default:
            return error
        }
    }

    func nearest(_ request: Request) async throws -> Response {
        let query = try await decode(NearestRequest.self, request)
        let positive = (query.word.map { [$0] } ?? []) + (query.words ?? [])
        let negative = query.subtract ?? []
        let field = query.word != nil ? "word" : "words"
        guard !positive.isEmpty || !negative.isEmpty else { throw APIError.badRequest("word", "give a word (\"word\") or words to add (\"words\")") }
        try checkWords(positive, field: field)
        try checkWords(negative, field: "subtract")
        let map = query.map ?? false
        let k = try checkK(query.k, default: 10, limit: map ? 200 : nil)
        try checkRestrict(query.restrict)
        let store = try requireVectors()
        let batcher = nearestBatcher ?? NearestBatcher(store: store, workers: 1)  // never nil once vectors are loaded
        let result: Result<[Neighbour], Error> = try await limited { finish in
            batcher.submit(NearestBatcher.Query(positive: positive, negative: negative, k: k, restrict: query.restrict,
                                                answer: { finish(.success($0)) }))
        }
        let neighbours: [Neighbour]
        do {
            neighbours = try result.get()
        } catch {
            throw Server.queryFailure(error, field: field)
        }
        var answer = NearestAnswer(query: positive, subtract: negative, neighbours: neighbours)
        if map {
            answer = try await limited { [answer] in
                var answer = answer
                let words = (positive.count == 1 && negative.isEmpty ? positive : []) + neighbours.map(\.word)
                // A query word without a row is placed by its n-gram vector, as it was answered.
                let rows = words.map { word in store.id(of: word).map { Array(store.unitVector($0)) } ?? ((try? store.unitVectors([word]))?.vectors.first ?? []) }
                answer.map = zip(words, Projection.principalPlane(rows)).map { MapPoint(word: $0, x: $1.x, y: $1.y) }
                answer.projection = Projection.description
                return answer
            }
        }
        return try Server.json(answer)
    }

    func analogy(_ request: Request) async throws -> Response {
        let query = try await decode(AnalogyRequest.self, request)
        try checkWords([query.a, query.b, query.c], field: "a")
        let k = try checkK(query.k, default: 5)
        try checkRestrict(query.restrict)
        let method: AnalogyMethod
        if let name = query.method {
            guard let known = AnalogyMethod(rawValue: name) else {
                throw APIError.badRequest("method", "'\(name)' is not a method; use add (3CosAdd) or mul (3CosMul)")
            }
            method = known
        } else {
            method = .add
        }
        let store = try requireVectors()
        let answer = try await limited {
            do {
                let neighbours = try store.analogy(query.a, query.b, query.c, k: k, method: method, restrict: query.restrict)
                return AnalogyAnswer(query: [query.a, query.b, query.c], method: method.rawValue, neighbours: neighbours)
            } catch {
                throw Server.queryFailure(error, field: Server.unknownField(error, [("a", query.a), ("b", query.b), ("c", query.c)]))
            }
        }
        return try Server.json(answer)
    }

    func similarity(_ request: Request) async throws -> Response {
        let query = try await decode(SimilarityRequest.self, request)
        try checkWords([query.first, query.second], field: "first")
        let store = try requireVectors()
        let answer = try await limited {
            do {
                return SimilarityAnswer(first: query.first, second: query.second, similarity: try store.similarity(query.first, query.second))
            } catch {
                throw Server.queryFailure(error, field: Server.unknownField(error, [("first", query.first), ("second", query.second)]))
            }
        }
        return try Server.json(answer)
    }

    /// The field holding the first unknown word of a query error.
    static func unknownField(_ error: Error, _ fields: [(String, String)]) -> String {
        if case QueryError.unknownWords(let words) = error, let first = words.first,
           let field = fields.first(where: { $0.1 == first }) {
            return field.0
        }
        return fields[0].0
    }

    // MARK: Models

    func answerTexts(verb: String, _ request: Request) async throws -> Response {
        let body = try await collect(request)
        let query = try decode(TextRequest.self, from: body)
        let texts: [String]
        let field: String
        switch (query.text, query.texts) {
        case (let text?, nil): texts = [text]; field = "text"
        case (nil, let many?): texts = many; field = "texts"
        case (nil, nil): throw APIError.badRequest("text", "give a text (\"text\") or several (\"texts\")")
        case (_?, _?): throw APIError.badRequest("texts", "give \"text\" or \"texts\", not both")
        }
        guard texts.count <= configuration.maxTexts else {
            throw APIError(status: 413, field: field, "at most \(configuration.maxTexts) texts per request, not \(texts.count)")
        }
        let scalars = texts.reduce(0) { $0 + $1.unicodeScalars.count }
        guard scalars <= configuration.maxTextScalars else {
            throw APIError(status: 413, field: field, "at most \(configuration.maxTextScalars) characters per request, not \(scalars); send them in several requests")
        }
        let candidates = models.filter { $0.verb == verb }
        let model: ServedModel
        if let name = query.model {
            guard let named = candidates.first(where: { $0.name == name }) else {
                throw APIError(status: 404, field: "model", "no \(verb) model named '\(name)'; loaded: \(candidates.map(\.name).joined(separator: ", "))")
            }
            model = named
        } else {
            model = candidates[0]
        }
        let work = try model.prepare(texts, body: body, single: query.text != nil, threads: configuration.threads)
        return Server.response(try await limited(work), contentType: "application/json")
    }

    // MARK: Requests and responses

    /// The request body as `T`, at most `maxBodyBytes`; a decoding error names the field.
    func decode<T: Decodable>(_: T.Type, _ request: Request) async throws -> T {
        try decode(T.self, from: try await collect(request))
    }

    /// The request body, at most `maxBodyBytes` (else 413).
    func collect(_ request: Request) async throws -> Data {
        var request = request
        let limit = configuration.maxBodyBytes
        do {
            return Data(try await request.collectBody(upTo: limit).readableBytesView)
        } catch {
            throw APIError(status: 413, "the body is larger than \(limit) bytes; send less per request")
        }
    }

    /// `body` as `T`; a decoding error names the field.
    func decode<T: Decodable>(_: T.Type, from body: Data) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: body)
        } catch let error as DecodingError {
            throw Server.decodingFailure(error)
        }
    }

    static func decodingFailure(_ error: DecodingError) -> APIError {
        func path(_ keys: [any CodingKey]) -> String? {
            let names = keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return names.isEmpty ? nil : names.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .keyNotFound(let key, let context):
            return .badRequest(path(context.codingPath + [key]), "missing")
        case .typeMismatch(let type, let context):
            return .badRequest(path(context.codingPath), "expected \(Server.jsonName(type))")
        case .valueNotFound(let type, let context):
            return .badRequest(path(context.codingPath), "expected \(Server.jsonName(type)), not null")
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return .badRequest(nil, "the body is not valid JSON; send a JSON object") }
            return .badRequest(path(context.codingPath), context.debugDescription)
        @unknown default:
            return .badRequest(nil, "the body does not match the request's schema (see /openapi.json)")
        }
    }

    static func jsonName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Int.Type, is Double.Type: return "a number"
        case is Bool.Type: return "true or false"
        case is [String].Type: return "a list of strings"
        default: return type is any Collection.Type ? "a list" : "an object"
        }
    }

    /// Runs `work` off the request's task; answers 503 when it takes longer than the time limit
    /// (the work itself finishes in the background: its size is bounded by the request limits).
    func limited<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await limited { finish in Task.detached { finish(Result<T, Error> { try work() }) } }
    }

    /// The time limits' queue: a serial queue, which libdispatch runs on an overcommitting thread,
    /// so a timer fires even while compute work fills the global queues' threads.
    static let timers = DispatchQueue(label: "wordpipe.serve.time-limits")

    /// `limited(_:)` for work that something else runs: `start` hands it over and arranges for
    /// its argument to be called with the result. The time limit is a Dispatch timer, not a
    /// task, so that it fires even when blocking work holds every thread of the task pool (and of
    /// the global queues: see `timers`), and it is cancelled as soon as the result arrives.
    func limited<T: Sendable>(starting start: @Sendable (@escaping @Sendable (Result<T, Error>) -> Void) -> Void) async throws -> T {
        let seconds = configuration.timeLimit
        let race = Race<T>()
        return try await withCheckedThrowingContinuation { continuation in
            race.continuation = continuation
            let timer = DispatchWorkItem {
                race.finish(.failure(APIError(status: 503, "the request took longer than \(seconds) s; ask for less (a smaller k or shorter texts)")))
            }
            race.timer = timer
            Server.timers.asyncAfter(deadline: .now() + seconds, execute: timer)
            start { race.finish($0) }
        }
    }

    static func json<T: Encodable>(_ value: T) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return response(try encoder.encode(value), contentType: "application/json")
    }

    static func response(_ body: Data, contentType: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    static func response(_ body: String, contentType: String) -> Response {
        Response(status: .ok, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func errorResponse(_ error: APIError) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = (try? encoder.encode(error.body)) ?? Data("{}".utf8)
        return response(body, contentType: "application/json", status: HTTPResponse.Status(code: error.status))
    }
}

/// An error before serving starts: a setting or an artifact that cannot be served.
public struct ServeError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// The first of two results to arrive resumes the continuation and cancels the timer.
final class Race<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    var continuation: CheckedContinuation<T, Error>?
    private var timerItem: DispatchWorkItem?
    private var finished = false

    /// The time limit's timer, cancelled when the result arrives first (at once when it already has).
    var timer: DispatchWorkItem? {
        get { lock.lock(); defer { lock.unlock() }; return timerItem }
        set {
            lock.lock()
            let done = finished
            if !done { timerItem = newValue }
            lock.unlock()
            if done { newValue?.cancel() }
        }
    }

    func finish(_ result: Result<T, Error>) {
        lock.lock()
        let continuation = self.continuation
        self.continuation = nil
        let timer = timerItem
        timerItem = nil
        finished = true
        lock.unlock()
        timer?.cancel()
        continuation?.resume(with: result)
    }
}

/// Every response passes here: errors become JSON with their status, and one line per request
/// goes to the log (method, path, status, milliseconds).
struct Guard<Context: RequestContext>: RouterMiddleware {
    let log: @Sendable (String) -> Void

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as APIError {
            response = Server.errorResponse(error)
        } catch let error as HTTPError {
            let message = error.status == .notFound ? "no such endpoint: \(request.method) \(request.uri.path) (see /openapi.json)"
                : (error.body ?? error.status.reasonPhrase)
            response = Server.errorResponse(APIError(status: error.status.code, message))
        } catch {
            response = Server.errorResponse(APIError(status: 500, "internal error: \(error)"))
        }
        let elapsed = ContinuousClock.now - start
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        log("\(request.method) \(request.uri.path) \(response.status.code) \(String(format: "%.1f", milliseconds)) ms")
        return response
    }
}
