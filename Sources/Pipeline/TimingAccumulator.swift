import Synchronization

/// Accumulates seconds and frames for one part of a run; written by one task, read after the run; thread-safe.
final class TimingAccumulator: Sendable {
    let name: String
    private let totals = Mutex((frames: 0, seconds: 0.0))

    init(name: String) { self.name = name }

    func add(frames count: Int, since start: ContinuousClock.Instant) {
        let s = start.duration(to: .now).inSeconds
        totals.withLock { t in
            t.frames += count
            t.seconds += s
        }
    }

    var timing: StageTiming { totals.withLock { StageTiming(name: name, frames: $0.frames, seconds: $0.seconds) } }
}
