import Foundation
import Synchronization

/// Holds the newest JPEG frame and hands every new one to the subscribed MJPEG clients; thread-safe.
///
/// Each client gets a stream that buffers only the newest frame, so a slow browser skips frames instead of
/// falling behind (the same "latest" policy as live inputs) and never holds the pipeline back.
public final class FrameHub: Sendable {
    private struct State {
        var latest: [UInt8]?
        var clients: [UUID: AsyncStream<[UInt8]>.Continuation] = [:]
        var closed = false
        var published = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// The newest frame, if any.
    public var latestFrame: [UInt8]? { state.withLock { $0.latest } }

    /// Frames published so far.
    public var publishedFrames: Int { state.withLock { $0.published } }

    /// Clients currently streaming.
    public var clientCount: Int { state.withLock { $0.clients.count } }

    /// Makes `jpeg` the newest frame and sends it to every client.
    public func publish(_ jpeg: [UInt8]) {
        let targets: [AsyncStream<[UInt8]>.Continuation] = state.withLock { s in
            guard !s.closed else { return [] }
            s.latest = jpeg
            s.published += 1
            return Array(s.clients.values)
        }
        for client in targets { client.yield(jpeg) }
    }

    /// The newest frame and its number (1, 2, …) once one newer than `after` exists, waiting up to `timeout`;
    /// nil when none came in time (or the hub closed).
    public func frame(after: Int, timeout: Duration) async -> (sequence: Int, jpeg: [UInt8])? {
        let deadline = ContinuousClock.now + timeout
        while true {
            let current: (Int, [UInt8])? = state.withLock { s in
                if let latest = s.latest, s.published > after { return (s.published, latest) }
                return nil
            }
            if let current { return current }
            if ContinuousClock.now >= deadline || state.withLock({ $0.closed }) || Task.isCancelled { return nil }
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    /// A stream of frames for one client, starting with the newest frame; ends when the hub closes.
    /// Nil when `limit` clients are already streaming.
    public func subscribe(limit: Int = .max) -> AsyncStream<[UInt8]>? {
        let id = UUID()
        let (stream, continuation) = AsyncStream<[UInt8]>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let (start, full): ([UInt8]??, Bool) = state.withLock { s in
            if s.closed { return (.none, false) }
            if s.clients.count >= limit { return (.none, true) }
            s.clients[id] = continuation
            return (.some(s.latest), false)
        }
        guard let first = start else {
            continuation.finish()
            return full ? nil : stream
        }
        if let first { continuation.yield(first) }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.clients.removeValue(forKey: id) }
        }
        return stream
    }

    /// Ends every client's stream; later publishes are ignored.
    public func close() {
        let targets: [AsyncStream<[UInt8]>.Continuation] = state.withLock { s in
            s.closed = true
            defer { s.clients.removeAll() }
            return Array(s.clients.values)
        }
        for client in targets { client.finish() }
    }
}
