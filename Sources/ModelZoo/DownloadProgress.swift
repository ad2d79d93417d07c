import Foundation
import Synchronization

/// Download progress as console text (bytes, %, MB/s): redrawn in place on a terminal, else a line per 10 %;
/// `write` gets the text. Called from URLSession's delegate queue (pass `update` as `fetch`'s progress); the state
/// is behind a lock.
public final class DownloadProgress: Sendable {
    private struct State {
        var lastDraw = Date.distantPast
        var lastDecile = 0
        var drew = false
    }
    private let isTerminal: Bool
    private let write: @Sendable (String) -> Void
    private let started = Date()
    private let state = Mutex(State())

    public init(isTerminal: Bool, write: @escaping @Sendable (String) -> Void) {
        self.isTerminal = isTerminal
        self.write = write
    }

    public func update(done: Int64, total: Int64) {
        let now = Date()
        let text: String? = state.withLock { s in
            if isTerminal {
                guard now.timeIntervalSince(s.lastDraw) >= 0.1 || done == total else { return nil }
                s.lastDraw = now
                s.drew = true
                return "\r" + line(done, total, now) + "\u{1B}[K"
            }
            let decile = total > 0 ? Int(done * 10 / total) : 10
            guard decile > s.lastDecile else { return nil }
            s.lastDecile = decile
            return "progress: " + line(done, total, now) + "\n"
        }
        if let text { write(text) }
    }

    /// Ends the in-place line so later output starts on a fresh line.
    public func finish() {
        if state.withLock({ s in defer { s.drew = false }; return s.drew }) { write("\n") }
    }

    private func line(_ done: Int64, _ total: Int64, _ now: Date) -> String {
        let mb = 1_048_576.0, elapsed = now.timeIntervalSince(started)
        let percent = total > 0 ? Int(Double(done) * 100 / Double(total)) : 100
        let rate = elapsed > 0 ? Double(done) / mb / elapsed : 0
        return String(format: "%.1f / %.1f MB (%d%%)  %.1f MB/s", Double(done) / mb, Double(total) / mb, percent, rate)
    }
}
