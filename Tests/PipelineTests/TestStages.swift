import Foundation
import Pipeline

/// Test helpers: tiny frames and stages that record what they see.
func makeFrame(_ index: Int) -> FrameRecord {
    FrameRecord(index: index, pts: Int64(index * 10), time: Double(index) / 10,
                image: RGBImage(width: 2, height: 2))
}

/// A blocking frame source producing `count` frames, optionally setting a stop flag after `stopAfter` frames.
final class CountingSource: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0
    let count: Int
    let stopAfter: Int?
    let stop: StopFlag

    init(count: Int, stopAfter: Int? = nil, stop: StopFlag = StopFlag()) {
        self.count = count
        self.stopAfter = stopAfter
        self.stop = stop
    }

    var produced: Int { lock.withLock { next } }

    func read() -> FrameRecord? {
        lock.withLock {
            guard next < count else { return nil }
            defer {
                next += 1
                if let stopAfter, next == stopAfter { stop.set() }
            }
            return makeFrame(next)
        }
    }
}

/// Records batch sizes and frame indices, tags each instance list with its name, optionally sleeps.
final class RecordingStage: NamedStage, @unchecked Sendable {
    let name: String
    let delay: TimeInterval
    private let lock = NSLock()
    private var batches: [[Int]] = []
    private var finished = 0

    init(name: String, delay: TimeInterval = 0) {
        self.name = name
        self.delay = delay
    }

    var seenBatches: [[Int]] { lock.withLock { batches } }
    var finishCount: Int { lock.withLock { finished } }

    func process(_ batch: inout [FrameRecord]) throws {
        if delay > 0 { Thread.sleep(forTimeInterval: delay) }
        lock.withLock { batches.append(batch.map(\.index)) }
        for i in batch.indices {
            batch[i].instances.append(Instance(box: Box(x1: 0, y1: 0, x2: 1, y2: 1),
                                               categoryID: 1, score: Float(batch[i].index)))
        }
    }

    func finish() throws { lock.withLock { finished += 1 } }
}

/// Fails on the frame with index `failAt`.
final class FailingStage: NamedStage, @unchecked Sendable {
    struct Boom: Error, CustomStringConvertible { var description: String { "boom" } }
    let name = "failing"
    let failAt: Int
    init(failAt: Int) { self.failAt = failAt }

    func process(_ batch: inout [FrameRecord]) throws {
        if batch.contains(where: { $0.index == failAt }) { throw Boom() }
    }
}

/// A test stage that knows its name; the tests inspect them after a run, so they are shared (behind locks).
protocol NamedStage: Stage, Sendable {
    var name: String { get }
}

extension PipelineRunner {
    /// A runner over test stages (each still runs on a thread of its own).
    init(stages: [any NamedStage], batchSize: Int = 1, bufferDepth: Int = 2, policy: FramePolicy = .lossless,
         inFlightLimit: Int = 1) {
        self.init(plans: stages.map { StagePlan(name: $0.name, stage: $0) }, batchSize: batchSize, bufferDepth: bufferDepth,
                  policy: policy, inFlightLimit: inFlightLimit)
    }
}
