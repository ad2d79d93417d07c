import Foundation
import Pipeline
import Synchronization
import VideoIO

/// One run of a stage chain over one or many streams — the single-source `VideoJob` and the many-source
/// `MultiStreamJob` both run through it: the stages start (one model for all streams), each stream gets a reader
/// thread in a `StreamScheduler` (its own policy; fair batches round robin), every finished frame goes to its
/// stream's `StreamWriter` on the caller's task, and at the end every writer is finalised (also after a stop).
/// With `fatal`, a stream's read error ends the run (one source: its error is the run's); otherwise it is logged
/// and that stream alone ends. A stop request stops every reader and lets what was read drain. Streams may be
/// added (`add`) and retired (`retire`: its outputs are finalised once its last frame is written) while it runs.
final class ChainRun: Sendable {
    let plans: [StagePlan]
    let batchSize: Int
    /// The mode the summary names (each stream keeps its own); with `latest`, a batch starts when the previous one is out.
    let policy: FramePolicy
    let stop: StopFlag
    let session: LiveSession
    let fatal: Bool
    let log: @Sendable (String) -> Void
    let scheduler: StreamScheduler
    private let failures = Mutex<[Int: String]>([:])
    private let retiring = Mutex<Set<Int>>([])
    private let running = Mutex(false)

    init(plans: [StagePlan], batchSize: Int, policy: FramePolicy, stop: StopFlag, session: LiveSession, fatal: Bool,
         log: @escaping @Sendable (String) -> Void) {
        // Latest-frame streams drop most frames they decode: their pictures are converted to RGB only once taken.
        self.plans = policy == .latest ? [PictureConversion.plan] + plans : plans
        (self.batchSize, self.policy, self.stop, self.session, self.fatal, self.log) = (batchSize, policy, stop, session, fatal, log)
        scheduler = StreamScheduler(batchSize: batchSize, inFlightLimit: policy == .latest ? 1 : nil, monitor: session.monitor)
        session.scheduler = scheduler
    }

    /// What the run did: the runner's summary, the finalised writers (by stream), each stream's counts and the error
    /// that ended it (by stream), whether standard output's reader went away.
    struct Outcome {
        let summary: PipelineSummary
        let writers: [(id: Int, writer: StreamWriter)]
        let counts: [StreamScheduler.Counts]
        let failures: [Int: String]
        let readerGone: Bool
    }

    /// True while the run takes new streams (from when every first stream reads until the run ends).
    var accepting: Bool { running.withLock { $0 } }

    /// Starts reading `input` as the next stream (its id, the position of its writer); from any thread, one at a time.
    @discardableResult
    func add(_ input: StreamInput) -> Int {
        // A latest stream keeps its share of a batch (by weight); a lossless one two batches.
        let weights = session.inputs.reduce(0) { $0 + $1.weight }
        let capacity = input.policy == .latest ? max(input.weight, batchSize * input.weight / max(1, weights)) : 2 * batchSize
        let id = scheduler.counts.count
        input.defersConversion = policy == .latest && input.policy == .latest
        return scheduler.add(name: input.name, policy: input.policy, capacity: capacity, weight: input.weight, fatal: fatal,
                             read: { try input.read() }) { [self] error in
            guard let error, !fatal else { return }
            failures.withLock { $0[id] = "\(error)" }
            log("\(input.name): \(error); this stream ended, the others go on")
        }
    }

    /// Stops reading stream `id`; its outputs are finalised once what was read of it is written.
    func retire(_ id: Int) {
        retiring.withLock { _ = $0.insert(id) }
        scheduler.remove(id)
        let inputs = session.inputs
        if id < inputs.count { inputs[id].stop() }
    }

    /// Runs the streams (`session.inputs`, each already `add`ed or added now) to their ends (or the stop).
    /// `makeWriter` gives stream k's writer: for the streams there at the start once the stages are built (a model that
    /// fails to load leaves no file behind), for a stream added later at its first frame. `written` gets each frame
    /// after its stream's writer took it, with the run's frames written so far.
    func run(makeWriter: (Int) throws -> StreamWriter,
             written: (_ record: FrameRecord, _ writer: StreamWriter, _ total: Int) throws -> Void) async throws -> Outcome {
        let stages = try await StageChain.start(plans)
        stop.whenSet { [session] in for input in session.inputs { input.stop() } }
        var writers: [Int: StreamWriter] = [:], retired: [Int: StreamWriter] = [:]
        do {
            for id in session.inputs.indices { writers[id] = try makeWriter(id) }
        } catch {
            for writer in writers.values { writer.abandon() }
            throw error
        }
        for input in session.inputs.dropFirst(scheduler.counts.count) { add(input) }
        running.withLock { $0 = true }
        defer { running.withLock { $0 = false } }
        var readerGone = false, total = 0
        let runner = PipelineRunner(chain: stages, batchSize: batchSize, policy: policy)
        let summary: PipelineSummary
        do {
            summary = try await runner.run(streams: scheduler, stop: stop, monitor: session.monitor) { record in
                if writers[record.stream] == nil { writers[record.stream] = try makeWriter(record.stream) }
                let writer = writers[record.stream]!
                if try writer.write(record) {
                    if writer.readerGone, !readerGone {
                        readerGone = true
                        stop.set()
                    }
                    total += 1
                    try written(record, writer, total)
                    session.publish(record)
                }
                try finishRetired(&writers, into: &retired)
            }
        } catch {
            scheduler.stop()
            for input in session.inputs { input.stop() }
            await session.stop()
            for writer in writers.values { writer.abandon() }
            throw error
        }
        await session.stop()
        var failure: (any Error)?
        for writer in writers.values {
            do { try writer.finish(interrupted: stop.isSet, partial: stop.isSet || writer.input.limited) } catch {
                log("\(writer.input.name): \(error)")
                failure = failure ?? error
            }
        }
        if let failure { throw failure }
        let all = writers.merging(retired) { a, _ in a }.sorted { $0.key < $1.key }.map { (id: $0.key, writer: $0.value) }
        return Outcome(summary: summary, writers: all, counts: scheduler.counts, failures: failures.withLock { $0 },
                       readerGone: readerGone)
    }

    /// Finalises the writers of retired streams whose every frame read has been written or dropped.
    private func finishRetired(_ writers: inout [Int: StreamWriter], into retired: inout [Int: StreamWriter]) throws {
        let ids = retiring.withLock { $0 }
        guard !ids.isEmpty else { return }
        let counts = scheduler.counts
        for id in ids where id < counts.count && counts[id].ended {
            guard let writer = writers[id], writer.received + counts[id].dropped >= counts[id].read else { continue }
            try writer.finish(interrupted: true, partial: true)
            log("\(writer.input.name): removed; \(writer.output ?? "its outputs") finalised")
            retired[id] = writers.removeValue(forKey: id)
            retiring.withLock { _ = $0.remove(id) }
        }
    }
}
