import AsyncAlgorithms
import Foundation

/// Adapts a blocking `read` closure (nil = end) to an async sequence of frames; each read runs on a private
/// serial dispatch queue, so a source that blocks (a network stream waiting for data) holds no pool thread.
struct ClosureFrameSequence: AsyncSequence, Sendable {
    typealias Element = FrameRecord
    let read: @Sendable () throws -> FrameRecord?

    struct AsyncIterator: AsyncIteratorProtocol {
        let read: @Sendable () throws -> FrameRecord?
        let queue = DispatchQueue(label: "mrcnn.pipeline.reader")

        mutating func next() async throws -> FrameRecord? {
            let read = self.read, queue = self.queue
            return try await withCheckedThrowingContinuation { continuation in
                queue.async { continuation.resume(with: Result { try read() }) }
            }
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(read: read) }
}
