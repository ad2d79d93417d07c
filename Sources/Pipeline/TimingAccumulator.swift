import Foundation

/// Accumulates seconds and frames for one part of a run; written by one task, read after the run.
final class TimingAccumulator: @unchecked Sendable {
    let name: String
    private let lock = NSLock()
    private var frames = 0
    private var seconds = 0.0

    init(name: String) { self.name = name }

    func add(frames count: Int, since start: ContinuousClock.Instant) {
        let elapsed = start.duration(to: .now)
        let s = elapsed.inSeconds
        lock.withLock {
            frames += count
            seconds += s
        }
    }

    var timing: StageTiming { lock.withLock { StageTiming(name: name, frames: frames, seconds: seconds) } }
}
