import AsyncAlgorithms
import Foundation

/// Runs frames through a chain of stages: source → micro-batches → stage tasks joined by bounded buffers → sink, in order.
///
/// Lossless: every frame read reaches the sink unless an error ends the run; a slow stage slows the reader
/// (backpressure) instead of dropping. Each stage runs in its own child task and sees its batches in frame order.
/// The stop flag ends reading; frames already read still flow through, each stage's `finish` is called, and `run` returns.
public struct PipelineRunner: Sendable {
    public let stages: [any Stage]
    /// Frames per micro-batch (≥ 1); the last batch may be smaller.
    public let batchSize: Int
    /// Batches each bounded buffer between two tasks may hold (≥ 1).
    public let bufferDepth: Int

    public init(stages: [any Stage], batchSize: Int = 1, bufferDepth: Int = 2) {
        self.stages = stages
        self.batchSize = max(1, batchSize)
        self.bufferDepth = max(1, bufferDepth)
    }

    /// Runs frames pulled from a blocking `read` closure (nil = end of input) until the end or the stop flag.
    /// `sink` is called on the caller's task, once per frame, in frame order.
    public func run(read: @escaping @Sendable () throws -> FrameRecord?, stop: StopFlag = StopFlag(),
                    sink: (FrameRecord) throws -> Void) async throws -> PipelineSummary {
        try await run(frames: ClosureFrameSequence(read: read), stop: stop, sink: sink)
    }

    /// Runs frames from an async sequence until its end or the stop flag.
    /// `sink` is called on the caller's task, once per frame, in frame order.
    public func run<Frames: AsyncSequence & Sendable>(
        frames: Frames, stop: StopFlag = StopFlag(), sink: (FrameRecord) throws -> Void
    ) async throws -> PipelineSummary where Frames.Element == FrameRecord {
        let started = ContinuousClock.now
        let sourceClock = TimingAccumulator(name: "source")
        let stageClocks = stages.map { TimingAccumulator(name: $0.name) }
        let sinkClock = TimingAccumulator(name: "sink")
        let stoppedEarly = StopFlag()
        // channels[i] feeds stage i; channels[stages.count] feeds the sink.
        let channels = (0...stages.count).map { _ in AsyncThrowingChannel<[FrameRecord], any Error>() }
        let batchSize = self.batchSize, depth = self.bufferDepth
        var delivered = 0

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                await Self.pump(frames, into: channels[0], batchSize: batchSize, stop: stop,
                                stoppedEarly: stoppedEarly, clock: sourceClock)
            }
            for (i, stage) in stages.enumerated() {
                let input = channels[i], output = channels[i + 1], clock = stageClocks[i]
                group.addTask {
                    await Self.drive(stage, from: input.buffer(policy: .bounded(depth)), to: output, clock: clock)
                }
            }
            for try await batch in channels[stages.count].buffer(policy: .bounded(depth)) {
                for record in batch {
                    let t0 = ContinuousClock.now
                    try sink(record)
                    sinkClock.add(frames: 1, since: t0)
                    delivered += 1
                }
            }
            try await group.waitForAll()
        }

        let wall = started.duration(to: .now)
        return PipelineSummary(
            frames: delivered,
            wallSeconds: Double(wall.components.seconds) + Double(wall.components.attoseconds) * 1e-18,
            stopped: stoppedEarly.isSet,
            source: sourceClock.timing,
            stages: stageClocks.map(\.timing),
            sink: sinkClock.timing)
    }

    /// Reads frames into batches and sends them; on a read error, sends what was read, then fails the channel.
    private static func pump<Frames: AsyncSequence & Sendable>(
        _ frames: Frames, into output: AsyncThrowingChannel<[FrameRecord], any Error>, batchSize: Int,
        stop: StopFlag, stoppedEarly: StopFlag, clock: TimingAccumulator
    ) async where Frames.Element == FrameRecord {
        var batch: [FrameRecord] = []
        batch.reserveCapacity(batchSize)
        var failure: (any Error)?
        var iterator = frames.makeAsyncIterator()
        while true {
            if stop.isSet || Task.isCancelled {
                stoppedEarly.set()
                break
            }
            let t0 = ContinuousClock.now
            let next: FrameRecord?
            do {
                next = try await iterator.next()
            } catch {
                failure = error
                break
            }
            guard let frame = next else { break }
            clock.add(frames: 1, since: t0)
            batch.append(frame)
            if batch.count == batchSize {
                await output.send(batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
        if !batch.isEmpty { await output.send(batch) }
        if let failure { output.fail(failure) } else { output.finish() }
    }

    /// Runs one stage over its input until the input ends, then calls `finish`; errors are forwarded downstream.
    private static func drive(_ stage: any Stage, from input: AsyncBufferSequence<AsyncThrowingChannel<[FrameRecord], any Error>>,
                              to output: AsyncThrowingChannel<[FrameRecord], any Error>,
                              clock: TimingAccumulator) async {
        do {
            for try await received in input {
                var batch = received
                let t0 = ContinuousClock.now
                do {
                    try stage.process(&batch)
                    guard batch.count == received.count else {
                        throw StageError.failed(stage: stage.name,
                                                message: "returned \(batch.count) frames for a batch of \(received.count)")
                    }
                } catch {
                    throw Self.wrap(error, stage: stage.name)
                }
                clock.add(frames: batch.count, since: t0)
                await output.send(batch)
            }
            do { try stage.finish() } catch { throw Self.wrap(error, stage: stage.name) }
            output.finish()
        } catch {
            output.fail(error)
        }
    }

    private static func wrap(_ error: any Error, stage: String) -> any Error {
        if error is StageError || error is CancellationError { return error }
        return StageError.failed(stage: stage, message: String(describing: error))
    }
}

/// Adapts a blocking `read` closure (nil = end) to an async sequence of frames.
struct ClosureFrameSequence: AsyncSequence, Sendable {
    typealias Element = FrameRecord
    let read: @Sendable () throws -> FrameRecord?

    struct AsyncIterator: AsyncIteratorProtocol {
        let read: @Sendable () throws -> FrameRecord?
        mutating func next() async throws -> FrameRecord? { try read() }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(read: read) }
}
