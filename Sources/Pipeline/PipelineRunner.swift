import AsyncAlgorithms
import Foundation

/// Runs frames through a chain of stages: source → micro-batches → stage tasks joined by bounded buffers → sink, in order.
///
/// `lossless` (default): every frame read reaches the sink unless an error ends the run; a slow stage slows the
/// reader (backpressure) instead of dropping. `latest`: the reader never waits; while the first stage is busy only
/// the newest frames are kept and older ones are dropped and counted (see `FramePolicy`). Either way each stage
/// runs in its own child task and sees its batches in frame order, and the summary reports capture → sink latency.
/// Each stage runs on its own thread (`StageChain`); the runner's tasks only await them, so no task of the
/// concurrency pool ever waits behind model work and the sink (and anything else on the pool) keeps running.
/// The stop flag ends reading; frames already read still flow through, each stage's `finish` is called, and `run` returns.
public struct PipelineRunner: Sendable {
    private enum Stages: Sendable {
        case started(StageChain)
        case planned([StagePlan])
    }

    private let stages: Stages
    /// Frames per micro-batch (≥ 1); the last batch may be smaller (in `latest` mode: whatever is waiting).
    public let batchSize: Int
    /// Batches each bounded buffer between two tasks may hold (≥ 1).
    public let bufferDepth: Int
    /// How the reader feeds the first stage.
    public let policy: FramePolicy
    /// `latest` only: batches between the first stage and the sink at once. 1 (default) starts each batch on
    /// the freshest frames when the previous result is out: lowest latency, and no throughput lost when the
    /// stages cannot run side by side (model stages share the cores). Raise it to pipeline stages that can.
    public let inFlightLimit: Int

    /// A runner for stages already built on their threads (construction errors came before the run).
    public init(chain: StageChain, batchSize: Int = 1, bufferDepth: Int = 2, policy: FramePolicy = .lossless,
                inFlightLimit: Int = 1) {
        self.init(stages: .started(chain), batchSize: batchSize, bufferDepth: bufferDepth, policy: policy,
                  inFlightLimit: inFlightLimit)
    }

    /// A runner that builds the planned stages (each on its thread) when `run` starts.
    public init(plans: [StagePlan], batchSize: Int = 1, bufferDepth: Int = 2, policy: FramePolicy = .lossless,
                inFlightLimit: Int = 1) {
        self.init(stages: .planned(plans), batchSize: batchSize, bufferDepth: bufferDepth, policy: policy,
                  inFlightLimit: inFlightLimit)
    }

    private init(stages: Stages, batchSize: Int, bufferDepth: Int, policy: FramePolicy, inFlightLimit: Int) {
        self.stages = stages
        self.batchSize = max(1, batchSize)
        self.bufferDepth = max(1, bufferDepth)
        self.policy = policy
        self.inFlightLimit = max(1, inFlightLimit)
    }

    /// Runs frames pulled from a blocking `read` closure (nil = end of input) until the end or the stop flag.
    /// `read` runs on a thread of its own (never the concurrency pool), so a slow or blocking source stalls nothing else.
    /// `sink` is called on the caller's task, once per frame, in frame order.
    public func run(read: @escaping @Sendable () throws -> FrameRecord?, stop: StopFlag = StopFlag(),
                    monitor: PipelineMonitor = PipelineMonitor(),
                    sink: (FrameRecord) throws -> Void) async throws -> PipelineSummary {
        try await execute(frames: ClosureFrameSequence(read: read), stop: stop, monitor: monitor, sink: sink)
    }

    /// Runs the fair micro-batches of `streams` (one or many sources, each read on a thread of its own with its own
    /// policy) until every stream has ended or the stop flag; the runner's `policy` only names the mode in the
    /// summary, since each stream keeps its own. `sink` is called on the caller's task, once per frame, in each
    /// stream's frame order.
    public func run(streams: StreamScheduler, stop: StopFlag = StopFlag(), monitor: PipelineMonitor = PipelineMonitor(),
                    sink: (FrameRecord) throws -> Void) async throws -> PipelineSummary {
        try await execute(frames: ClosureFrameSequence { nil }, scheduler: streams, stop: stop, monitor: monitor, sink: sink)
    }

    /// Runs frames from an async sequence until its end or the stop flag.
    /// `sink` is called on the caller's task, once per frame, in frame order.
    public func run<Frames: AsyncSequence & Sendable>(
        frames: Frames, stop: StopFlag = StopFlag(), monitor: PipelineMonitor = PipelineMonitor(),
        sink: (FrameRecord) throws -> Void
    ) async throws -> PipelineSummary where Frames.Element == FrameRecord {
        try await execute(frames: frames, stop: stop, monitor: monitor, sink: sink)
    }

    /// The run. The reader task awaits each read (a blocking `read` runs on a queue of its own, see
    /// `ClosureFrameSequence`); since stages compute on their own threads, the pool is free to resume it at once, so
    /// in `latest` mode it keeps reading (and dropping) while the stages work.
    private func execute<Frames: AsyncSequence & Sendable>(
        frames: Frames, scheduler: StreamScheduler? = nil, stop: StopFlag,
        monitor: PipelineMonitor, sink: (FrameRecord) throws -> Void
    ) async throws -> PipelineSummary where Frames.Element == FrameRecord {
        let started = ContinuousClock.now
        let chain: StageChain
        switch self.stages {
        case .started(let built): chain = built
        case .planned(let plans): chain = try await StageChain.start(plans)
        }
        let stages = chain.workers
        let clocks = monitor.begin(stageNames: chain.names, policy: policy)
        let stoppedEarly = StopFlag()
        // channels[i] feeds stage i; channels[stages.count] feeds the sink. In latest mode the mailbox feeds stage 0.
        let channels = (0...stages.count).map { _ in AsyncThrowingChannel<TimedBatch, any Error>() }
        let mailbox = policy == .latest && scheduler == nil ? LatestFrameMailbox(capacity: batchSize, inFlightLimit: inFlightLimit) : nil
        let batchSize = self.batchSize, depth = self.bufferDepth
        var delivered = 0

        func deliver<Batches: AsyncSequence>(_ batches: Batches) async throws where Batches.Element == TimedBatch {
            for try await batch in batches {
                for (record, captured) in zip(batch.records, batch.captured) {
                    monitor.delivered(captured: captured)
                    let t0 = ContinuousClock.now
                    try sink(record)
                    clocks.sink.add(frames: 1, since: t0)
                    delivered += 1
                }
                mailbox?.release()
                scheduler?.release()
            }
        }

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                if let scheduler {
                    await Self.pump(scheduler, into: channels[0], stop: stop, stoppedEarly: stoppedEarly, clock: clocks.source)
                } else if let mailbox {
                    await Self.pumpLatest(frames, into: mailbox, stop: stop, stoppedEarly: stoppedEarly,
                                          clock: clocks.source, monitor: monitor)
                } else {
                    await Self.pump(frames, into: channels[0], batchSize: batchSize, stop: stop,
                                    stoppedEarly: stoppedEarly, clock: clocks.source)
                }
            }
            for (i, stage) in stages.enumerated() {
                let input = channels[i], output = channels[i + 1], clock = clocks.stages[i]
                group.addTask {
                    if i == 0, let mailbox {
                        await Self.drive(stage, from: mailbox, to: output, clock: clock)
                    } else {
                        await Self.drive(stage, from: input.buffer(policy: .bounded(depth)), to: output, clock: clock)
                    }
                }
            }
            if stages.isEmpty, let mailbox {
                try await deliver(mailbox)
            } else {
                try await deliver(channels[stages.count].buffer(policy: .bounded(depth)))
            }
            try await group.waitForAll()
        }

        let wall = started.duration(to: .now)
        return PipelineSummary(
            frames: delivered, wallSeconds: wall.inSeconds, stopped: stoppedEarly.isSet,
            source: clocks.source.timing, stages: clocks.stages.map(\.timing), sink: clocks.sink.timing,
            policy: policy, dropped: monitor.droppedFrames, latency: monitor.latency)
    }

    /// Reads frames until the end, a read error (returned), the stop flag or cancellation, timing each read and
    /// handing each frame to `take`.
    private static func readFrames<Frames: AsyncSequence & Sendable>(
        _ frames: Frames, stop: StopFlag, stoppedEarly: StopFlag, clock: TimingAccumulator,
        take: (FrameRecord) async -> Void
    ) async -> (any Error)? where Frames.Element == FrameRecord {
        var iterator = frames.makeAsyncIterator()
        while true {
            if stop.isSet || Task.isCancelled {
                stoppedEarly.set()
                return nil
            }
            let t0 = ContinuousClock.now
            do {
                guard let frame = try await iterator.next() else { return nil }
                clock.add(frames: 1, since: t0)
                await take(frame)
            } catch {
                return error
            }
        }
    }

    /// Reads frames into batches and sends them; on a read error, sends what was read, then fails the channel.
    private static func pump<Frames: AsyncSequence & Sendable>(
        _ frames: Frames, into output: AsyncThrowingChannel<TimedBatch, any Error>, batchSize: Int,
        stop: StopFlag, stoppedEarly: StopFlag, clock: TimingAccumulator
    ) async where Frames.Element == FrameRecord {
        var batch = TimedBatch(records: [], captured: [])
        let failure = await readFrames(frames, stop: stop, stoppedEarly: stoppedEarly, clock: clock) { frame in
            batch.records.append(frame)
            batch.captured.append(.now)
            if batch.records.count == batchSize {
                await output.send(batch)
                batch = TimedBatch(records: [], captured: [])
            }
        }
        if !batch.records.isEmpty { await output.send(batch) }
        if let failure { output.fail(failure) } else { output.finish() }
    }

    /// Sends the scheduler's batches until it ends or the stop flag (which ends it at once); a fatal stream's error
    /// fails the channel after the batches before it.
    private static func pump(_ scheduler: StreamScheduler, into output: AsyncThrowingChannel<TimedBatch, any Error>,
                             stop: StopFlag, stoppedEarly: StopFlag, clock: TimingAccumulator) async {
        stop.whenSet { scheduler.stop() }
        do {
            while !stop.isSet, !Task.isCancelled {
                let t0 = ContinuousClock.now
                guard let batch = try await scheduler.next() else { break }
                clock.add(frames: batch.records.count, since: t0)
                await output.send(batch)
            }
            if stop.isSet || Task.isCancelled {
                stoppedEarly.set()
                scheduler.stop()
            }
            output.finish()
        } catch {
            output.fail(error)
        }
    }

    /// Reads frames as fast as the source gives them into the latest-frame mailbox (never waits for the stages).
    private static func pumpLatest<Frames: AsyncSequence & Sendable>(
        _ frames: Frames, into mailbox: LatestFrameMailbox, stop: StopFlag, stoppedEarly: StopFlag,
        clock: TimingAccumulator, monitor: PipelineMonitor
    ) async where Frames.Element == FrameRecord {
        let failure = await readFrames(frames, stop: stop, stoppedEarly: stoppedEarly, clock: clock) { frame in
            monitor.addDropped(mailbox.put(frame, captured: .now))
        }
        mailbox.finish(throwing: failure)
    }

    /// Feeds one stage's thread from its input until the input ends, then has it `finish`; errors are forwarded
    /// downstream. The task is suspended (holding no thread) while the stage works.
    private static func drive<Input: AsyncSequence>(_ stage: StageWorker, from input: Input,
                                                    to output: AsyncThrowingChannel<TimedBatch, any Error>,
                                                    clock: TimingAccumulator) async where Input.Element == TimedBatch {
        do {
            for try await received in input {
                let t0 = ContinuousClock.now
                let batch = try await stage.process(received.records)
                clock.add(frames: batch.count, since: t0)
                await output.send(TimedBatch(records: batch, captured: received.captured))
            }
            try await stage.finish()
            output.finish()
        } catch {
            output.fail(error)
        }
    }
}
