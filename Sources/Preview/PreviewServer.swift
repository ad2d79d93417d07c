import Foundation
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// The live preview web server (Hummingbird): `/` the page (a grid of tiles in a many-source run, each stream also
/// at `/stream/NAME` with its frames at `/stream/NAME/frame.jpg`), `/stream.mjpg` the annotated video as MJPEG,
/// `/frame.jpg[?after=N]` the newest frame (its number, 1, 2, …, as the ETag), `/stats.json` fps, drops, latency and
/// per-stage milliseconds, and `/metrics` when given a `MetricsRoute` (a metrics-only server has that route alone),
/// and `/healthz` (200 while `healthy()` holds, else 503; the one route open without the token: it says nothing
/// else). Only these routes exist (nothing is served from disk). A non-loopback bind requires the run's token on
/// every other request (`PreviewAccess`); at most `maxStreamClients` MJPEG clients at once.
public final class PreviewServer: Sendable {
    public let host: String
    public let requestedPort: Int
    /// Who may use the server: open on loopback, the token elsewhere.
    public let access: PreviewAccess
    /// Most concurrent `/stream.mjpg` clients.
    public let maxStreamClients: Int
    /// Where the pipeline publishes its JPEG frames.
    public let hub = FrameHub()
    /// What `/metrics` serves (nil: no such route); `metricsOnly`: no preview routes.
    public let metrics: MetricsRoute?
    public let metricsOnly: Bool
    /// What `/healthz` reports (default: always healthy); a run answers whether frames keep finishing.
    public let healthy: @Sendable () -> Bool

    /// Each stream's hub in a many-source run (`/stream/NAME/frame.jpg`), by name; empty for one source.
    private let streamHubs = Mutex<[String: FrameHub]>([:])
    private let streamControl = Mutex<StreamControl?>(nil)
    private let stats = Mutex(PreviewStats())
    private let refused = Mutex(0)
    private let task = Mutex<Task<Void, any Error>?>(nil)

    /// `address` is `HOST:PORT` (port 0 picks a free one), e.g. `127.0.0.1:8080`; `token` is `--serve-token`
    /// (without one, a non-loopback bind gets a fresh random token).
    public init(address: String, token: String? = nil,
                maxStreamClients: Int = PreviewAccess.defaultMaxStreamClients, metrics: MetricsRoute? = nil,
                metricsOnly: Bool = false, healthy: @escaping @Sendable () -> Bool = { true }) throws {
        (host, requestedPort) = try Self.parse(address)
        if let token { try PreviewAccess.check(token: token) }
        access = PreviewAccess.forBind(host: host, explicitToken: token)
        self.maxStreamClients = maxStreamClients
        self.metrics = metrics
        self.metricsOnly = metrics != nil && metricsOnly
        self.healthy = healthy
    }

    /// The address to open, with the token when one is required (`path`: e.g. "metrics").
    public func url(port: Int, path: String = "") -> String { access.url(host: host, port: port, path: path) }

    /// Splits and checks `HOST:PORT`; a one-line error otherwise.
    public static func parse(_ address: String) throws -> (host: String, port: Int) {
        guard let colon = address.lastIndex(of: ":") else { throw PreviewError(.address, "expects HOST:PORT, e.g. 127.0.0.1:8080 (got '\(address)')") }
        var host = String(address[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, let port = Int(address[address.index(after: colon)...]), (0...65535).contains(port) else {
            throw PreviewError(.address, "expects HOST:PORT with a port 0-65535, e.g. 127.0.0.1:8080 (got '\(address)')")
        }
        return (host, port)
    }

    /// Makes the server a many-source run's: `/` shows a grid of `names`, each with `/stream/NAME` and its own hub.
    public func setStreams(_ names: [String]) {
        streamHubs.withLock { hubs in for name in names where hubs[name] == nil { hubs[name] = FrameHub() } }
    }

    /// Lets `/streams` list, add and remove the run's streams (see `StreamControl`).
    public func setControl(_ control: StreamControl) { streamControl.withLock { $0 = control } }

    /// Where stream `name`'s JPEG frames go (nil: no such stream).
    public func hub(for name: String) -> FrameHub? { streamHubs.withLock { $0[name] } }

    /// Replaces what `/stats.json` reports.
    public func update(_ newStats: PreviewStats) { stats.withLock { $0 = newStats } }

    /// The current stats, with the stream clients now connected and those refused so far.
    public var currentStats: PreviewStats {
        var current = stats.withLock { $0 }
        current.streamClients = hub.clientCount
        current.refusedClients = refused.withLock { $0 }
        return current
    }

    /// Starts serving and returns the bound port once the server listens; throws when it cannot bind.
    public func start() async throws -> Int {
        let started = OneShot<Result<Int, any Error>>()
        let app = Application(
            router: makeRouter(),
            configuration: ApplicationConfiguration(address: .hostname(host, port: requestedPort), serverName: "mrcnn"),
            onServerRunning: { channel in started.fulfil(.success(channel.localAddress?.port ?? 0)) },
            logger: Self.quietLogger())
        let address = "\(host):\(requestedPort)"
        let task = Task {
            do {
                try await app.run()
                started.fulfil(.failure(PreviewError(.server, "preview server at \(address) stopped before it started")))
            } catch {
                started.fulfil(.failure(PreviewError(.server, "cannot serve the preview at \(address) (\(error))")))
                throw error
            }
        }
        self.task.withLock { $0 = task }
        return try await started.value.get()
    }

    /// Ends every MJPEG stream and shuts the server down; safe to call more than once.
    public func stop() async {
        hub.close()
        for stream in streamHubs.withLock({ Array($0.values) }) { stream.close() }
        let task: Task<Void, any Error>? = self.task.withLock { t in defer { t = nil }; return t }
        task?.cancel()
        _ = await task?.result
    }

    private func makeRouter() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: TokenGate(access: access))
        let healthy = self.healthy
        router.get(RouterPath(TokenGate<BasicRequestContext>.openPath)) { _, _ in
            Response(status: healthy() ? .ok : .serviceUnavailable, headers: [.contentType: "text/plain", .cacheControl: "no-store"],
                     body: ResponseBody(byteBuffer: ByteBuffer(string: healthy() ? "ok\n" : "no frame finished lately\n")))
        }
        StreamControl.routes(on: router) { [weak self] in self?.streamControl.withLock { $0 } }
        if let metrics {
            router.get("/metrics") { _, _ in
                Response(status: .ok, headers: [.contentType: metrics.contentType, .cacheControl: "no-store"],
                         body: ResponseBody(byteBuffer: ByteBuffer(string: metrics.render())))
            }
            if metricsOnly { return router }
        }
        let hub = self.hub
        let setCookie = access.setCookie
        @Sendable func page(_ html: String) -> Response {
            var headers: HTTPFields = [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"]
            if let setCookie { headers[.setCookie] = setCookie }
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
        }
        router.get("/") { [weak self] _, _ in
            page(self?.streamHubs.withLock({ $0.isEmpty }) == false ? PreviewGrid.html : PreviewPage.html())
        }
        router.get("/stream/:name") { [weak self] _, context in
            let name = context.parameters.get("name") ?? ""
            guard self?.hub(for: name) != nil else { return Response(status: .notFound) }
            return page(PreviewPage.html(stream: name))
        }
        router.get("/stream/:name/frame.jpg") { [weak self] request, context in
            guard let hub = self?.hub(for: context.parameters.get("name") ?? "") else { return Response(status: .notFound) }
            return await Self.frame(from: hub, request: request)
        }
        router.get("/stats.json") { [weak self] _, _ in
            let json = (self?.currentStats ?? PreviewStats()).json()
            return Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: json)))
        }
        router.get("/frame.jpg") { request, _ in await Self.frame(from: hub, request: request) }
        let limit = maxStreamClients
        router.get("/stream.mjpg") { [weak self] _, _ in
            guard let frames = hub.subscribe(limit: limit) else {
                self?.refused.withLock { $0 += 1 }
                return Response(status: .serviceUnavailable, headers: [.cacheControl: "no-store", .retryAfter: "5"],
                                body: ResponseBody(byteBuffer: ByteBuffer(string: "too many preview clients\n")))
            }
            return Response(
                status: .ok,
                headers: [.contentType: "multipart/x-mixed-replace; boundary=\(Self.boundary)", .cacheControl: "no-store"],
                body: ResponseBody { writer in
                    for await jpeg in frames {
                        var part = ByteBuffer()
                        part.writeString("--\(Self.boundary)\r\nContent-Type: image/jpeg\r\nContent-Length: \(jpeg.count)\r\n\r\n")
                        part.writeBytes(jpeg)
                        part.writeString("\r\n")
                        try await writer.write(part)
                    }
                    try await writer.finish(nil)
                })
        }
        return router
    }

    /// `/frame.jpg[?after=N]` of `hub`: with `after`, waits (up to 2 s) for a frame newer than N; without it, the
    /// newest frame at once (204 while there is none).
    private static func frame(from hub: FrameHub, request: Request) async -> Response {
        let after = request.uri.queryParameters.get("after", as: Int.self)
        guard let frame = await hub.frame(after: after ?? 0, timeout: .seconds(after == nil ? 0 : 2)) else {
            return Response(status: .noContent, headers: [.cacheControl: "no-store"])
        }
        return Response(status: .ok, headers: [.contentType: "image/jpeg", .cacheControl: "no-store", .eTag: "\"\(frame.sequence)\""],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: frame.jpeg)))
    }

    static let boundary = "mrcnnframe"

    private static func quietLogger() -> Logger {
        var logger = Logger(label: "mrcnn.preview")
        logger.logLevel = .critical
        return logger
    }
}

/// What `/metrics` serves: a text rendered on each request (e.g. Prometheus's exposition format), with its type.
public struct MetricsRoute: Sendable {
    public let contentType: String
    public let render: @Sendable () -> String

    public init(contentType: String, render: @escaping @Sendable () -> String) {
        self.contentType = contentType
        self.render = render
    }
}

/// Answers 403 to a request without the run's token, before any route sees it: no stats, no frames, no page
/// (only `/healthz`, a liveness probe's, is open: it tells whether frames keep finishing and nothing else).
struct TokenGate<Context: RequestContext>: RouterMiddleware {
    let access: PreviewAccess
    static var openPath: String { "/healthz" }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.uri.path == Self.openPath { return try await next(request, context) }
        let query = request.uri.queryParameters.get("token")
        guard access.allows(query: query, cookie: request.headers[.cookie], authorization: request.headers[.authorization]) else {
            return Response(status: .forbidden, headers: [.contentType: "text/plain", .cacheControl: "no-store"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: "403 Forbidden: open the address with ?token= that mrcnn printed\n")))
        }
        return try await next(request, context)
    }
}

/// A one-line preview error: a bad address or token (what they are wrong in, `problem`, says what is expected
/// and names no command-line flag), or a server that cannot start.
public struct PreviewError: Error, CustomStringConvertible, Sendable {
    /// What the error is about.
    public enum Subject: Sendable { case address, token, server }

    public let subject: Subject
    /// The complaint without its subject, e.g. "expects HOST:PORT, e.g. 127.0.0.1:8080 (got '8080')".
    public let problem: String

    public init(_ subject: Subject, _ problem: String) {
        self.subject = subject
        self.problem = problem
    }

    public var description: String {
        switch subject {
        case .address: return "the preview address " + problem
        case .token: return "the preview token " + problem
        case .server: return problem
        }
    }
}

/// A value set once and awaited by one caller.
final class OneShot<Value: Sendable>: Sendable {
    private let state = Mutex<(result: Value?, waiter: CheckedContinuation<Value, Never>?)>((nil, nil))

    func fulfil(_ value: Value) {
        let w: CheckedContinuation<Value, Never>? = state.withLock { s in
            guard s.result == nil else { return nil }
            s.result = value
            defer { s.waiter = nil }
            return s.waiter
        }
        w?.resume(returning: value)
    }

    var value: Value {
        get async {
            await withCheckedContinuation { continuation in
                let ready: Value? = state.withLock { s in
                    if let result = s.result { return result }
                    s.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        }
    }
}
