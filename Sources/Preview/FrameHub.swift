import Foundation

/// Holds the newest JPEG frame and hands every new one to the subscribed MJPEG clients; thread-safe.
///
/// Each client gets a stream that buffers only the newest frame, so a slow browser skips frames instead of
/// falling behind (the same "latest" policy as live inputs) and never holds the pipeline back.
public final class FrameHub: @unchecked Sendable {
    private let lock = NSLock()
    private var latest: [UInt8]?
    private var clients: [UUID: AsyncStream<[UInt8]>.Continuation] = [:]
    private var closed = false
    private var published = 0

    public init() {}

    /// The newest frame, if any.
    public var latestFrame: [UInt8]? { lock.withLock { latest } }

    /// Frames published so far.
    public var publishedFrames: Int { lock.withLock { published } }

    /// Clients currently streaming.
    public var clientCount: Int { lock.withLock { clients.count } }

    /// Makes `jpeg` the newest frame and sends it to every client.
    public func publish(_ jpeg: [UInt8]) {
        let targets: [AsyncStream<[UInt8]>.Continuation] = lock.withLock {
            guard !closed else { return [] }
            latest = jpeg
            published += 1
            return Array(clients.values)
        }
        for client in targets { client.yield(jpeg) }
    }

    /// The newest frame and its number (1, 2, …) once one newer than `after` exists, waiting up to `timeout`;
    /// nil when none came in time (or the hub closed).
    public func frame(after: Int, timeout: Duration) async -> (sequence: Int, jpeg: [UInt8])? {
        let deadline = ContinuousClock.now + timeout
        while true {
            let current: (Int, [UInt8])? = lock.withLock {
                if let latest, published > after { return (published, latest) }
                return nil
            }
            if let current { return current }
            if ContinuousClock.now >= deadline || lock.withLock({ closed }) || Task.isCancelled { return nil }
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    /// A stream of frames for one client, starting with the newest frame; ends when the hub closes.
    /// Nil when `limit` clients are already streaming.
    public func subscribe(limit: Int = .max) -> AsyncStream<[UInt8]>? {
        let id = UUID()
        let (stream, continuation) = AsyncStream<[UInt8]>.makeStream(bufferingPolicy: .bufferingNewest(1))
        var full = false
        let start: [UInt8]?? = lock.withLock {
            if closed { return .none }
            if clients.count >= limit { full = true; return .none }
            clients[id] = continuation
            return .some(latest)
        }
        guard let first = start else {
            continuation.finish()
            return full ? nil : stream
        }
        if let first { continuation.yield(first) }
        continuation.onTermination = { [weak self] _ in
            self?.lock.withLock { _ = self?.clients.removeValue(forKey: id) }
        }
        return stream
    }

    /// Ends every client's stream; later publishes are ignored.
    public func close() {
        let targets: [AsyncStream<[UInt8]>.Continuation] = lock.withLock {
            closed = true
            defer { clients.removeAll() }
            return Array(clients.values)
        }
        for client in targets { client.finish() }
    }
}
