import Dispatch
import Foundation
import Pipeline
import Synchronization

/// Turns SIGINT/SIGTERM into a stop request for a running job (`stop.set()`, so what was read still drains and is
/// written); a repeated signal calls `onRepeat` (a tool exits there). The handlers run on a global dispatch queue;
/// create and `cancel()` (which restores the default behaviour) on one task.
public final class StopSignals {
    private var sources: [any DispatchSourceSignal] = []
    public let signals: [Int32]

    /// `onFirst` is called with the first signal (before `stop` is set), `onRepeat` with every later one.
    public init(signals: [Int32] = [SIGINT, SIGTERM], stop: StopFlag, onFirst: @escaping @Sendable () -> Void = {},
                onRepeat: @escaping @Sendable () -> Void) {
        self.signals = signals
        let count = Counter()
        for number in signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                if count.next() == 1 {
                    onFirst()
                    stop.set()
                } else {
                    onRepeat()
                }
            }
            source.resume()
            sources.append(source)
        }
    }

    public func cancel() {
        for source in sources { source.cancel() }
        sources.removeAll()
        for number in signals { signal(number, SIG_DFL) }
    }

    /// Makes writing to a closed pipe an error (EPIPE) the writer handles instead of a signal that kills the
    /// process: a run piped into `head` or a player that quits ends cleanly, its files finalised.
    public static func ignoreBrokenPipe() { signal(SIGPIPE, SIG_IGN) }

    /// Signals received so far.
    private final class Counter: Sendable {
        private let value = Mutex(0)
        func next() -> Int { value.withLock { $0 += 1; return $0 } }
    }
}
