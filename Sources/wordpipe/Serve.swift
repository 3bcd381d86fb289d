import ArgumentParser
import Foundation
import Serving
import WordPipeSupport

/// `wordpipe serve`: vectors and models behind an HTTP API with a web page.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve vectors and models over HTTP: a JSON API (/v1/…, /openapi.json) and a web page at /.",
        discussion: """
            Loads each file once (native vectors stay memory-mapped) and answers POST /v1/nearest, /v1/analogy \
            and /v1/similarity for the vectors, /v1/tag for taggers and /v1/classify for classifiers (a model is \
            named in requests by its file name without the extension), GET /v1/models, /healthz and \
            /openapi.json. Errors are JSON with a 4xx status naming the field. One line per request goes to \
            stderr. SIGTERM or SIGINT stops it gracefully: requests in flight are answered.
            """)

    @Option(help: "Vector file (native, word2vec, fastText .vec, GloVe).")
    var vectors: String?

    @Option(name: .customLong("model"), help: "A model file (tagger, classifier, language model or encoder-decoder); repeat for several.")
    var models: [String] = []

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port (0: any free port).")
    var port = 8080

    @Option(help: "The largest request body in bytes.")
    var maxBodyBytes = 1 << 20

    @Option(help: "The largest k a query may ask for.")
    var maxK = 1000

    @Option(name: .customLong("max-text"), help: "The most characters (Unicode scalars) of text per request.")
    var maxText = 100_000

    @Option(help: "The most texts per request.")
    var maxTexts = 1000

    @Option(help: "Seconds a request may take before it is answered 503.")
    var timeLimit = 10.0

    @Option(help: "Threads a model uses for one request.")
    var threads = 1

    func run() throws {
        let configuration = ServeConfiguration(vectors: vectors, models: models, host: host, port: port, maxBodyBytes: maxBodyBytes,
                                               maxK: maxK, maxTextScalars: maxText, maxTexts: maxTexts, timeLimit: timeLimit,
                                               threads: threads)
        let server: Server
        do {
            server = try Server(configuration: configuration, log: { StandardError.write("serve: \($0)\n") })
        } catch {
            throw StageFailure(stage: "serve", underlying: error)
        }
        let outcome = Outcome()
        let host = self.host
        Task.detached {
            do {
                try await server.run(onRunning: { port in
                    StandardError.write("serve: listening on http://\(host):\(port)/ (SIGTERM or Ctrl-C stops it)\n")
                }, shouldStop: { Interruption.requested })
            } catch {
                outcome.error = error
            }
            outcome.done.signal()
        }
        outcome.done.wait()
        if let error = outcome.error { throw StageFailure(stage: "serve", underlying: error) }
        if let signal = Interruption.signal {
            StandardError.write("serve: stopped on \(Interruption.name(of: signal))\n")
            Foundation.exit(0)
        }
    }

    /// The server task's end, handed to the waiting main thread.
    final class Outcome: @unchecked Sendable {
        let done = DispatchSemaphore(value: 0)
        var error: Error?
    }
}

extension Serve: StopsOnInterrupt {}
