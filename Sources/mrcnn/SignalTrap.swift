import Dispatch
import Foundation
import Pipeline

/// Turns SIGINT/SIGTERM into a stop request for the running pipeline; a second signal exits at once (code 130).
/// Handlers run on a global dispatch queue; `cancel()` restores the default behaviour.
final class SignalTrap: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []
    private let lock = NSLock()
    private var count = 0
    let signals: [Int32]

    init(signals: [Int32] = [SIGINT, SIGTERM], stop: StopFlag) {
        self.signals = signals
        for number in signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in self?.received(stop: stop) }
            source.resume()
            sources.append(source)
        }
    }

    private func received(stop: StopFlag) {
        let n = lock.withLock { count += 1; return count }
        if n == 1 {
            let newline = isatty(STDERR_FILENO) != 0 ? "\n" : ""   // end the progress bar's line
            StandardError.write(newline + "mrcnn: stopping: finishing frames already read (signal again to quit at once)\n")
            stop.set()
        } else {
            StandardError.write("mrcnn: quitting without finalising the output\n")
            exit(130)
        }
    }

    func cancel() {
        for source in sources { source.cancel() }
        sources.removeAll()
        for number in signals { signal(number, SIG_DFL) }
    }
}
