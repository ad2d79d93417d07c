import Foundation
import Synchronization

/// Progress on stderr: a bar redrawn in place (`\r`) on a terminal, else a plain line every ~2 s or 10 %.
/// Used from one task (the pipeline's sink).
final class ProgressReporter {
    let total: Int?
    let isTerminal: Bool
    private let started = Date()
    private var lastDraw: Date
    private var lastDecile = 0
    private var drewBar = false

    init(total: Int?, isTerminal: Bool = isatty(STDERR_FILENO) != 0) {
        self.total = total.flatMap { $0 > 0 ? $0 : nil }
        self.isTerminal = isTerminal
        lastDraw = isTerminal ? .distantPast : started
    }

    /// Call after each finished frame with the count so far.
    func update(done: Int) {
        let now = Date()
        if isTerminal {
            guard now.timeIntervalSince(lastDraw) >= 0.1 || done == total else { return }
            lastDraw = now
            drewBar = true
            StandardError.write("\r" + line(done: done, now: now, bar: true) + "\u{1B}[K")
        } else {
            let decile = total.map { done * 10 / $0 } ?? 0
            guard decile > lastDecile || now.timeIntervalSince(lastDraw) >= 2 else { return }
            lastDecile = decile
            lastDraw = now
            StandardError.write("progress: " + line(done: done, now: now, bar: false) + "\n")
        }
    }

    /// Ends the bar's line so later output starts on a fresh line.
    func finish() {
        if drewBar { StandardError.write("\n") }
        drewBar = false
    }

    private func line(done: Int, now: Date, bar: Bool) -> String {
        let elapsed = now.timeIntervalSince(started)
        let fps = elapsed > 0 ? Double(done) / elapsed : 0
        var parts: [String] = []
        if let total {
            let fraction = min(1, Double(done) / Double(total))
            if bar {
                let width = 24, filled = Int(fraction * Double(width))
                parts.append("[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "]")
            }
            parts.append("\(done)/\(total) frames (\(Int(fraction * 100))%)")
        } else {
            parts.append("\(done) frames")
        }
        parts.append(String(format: "%.1f fps", fps))
        if let total, fps > 0, done < total {
            parts.append("ETA " + Self.clock(Double(total - done) / fps))
        }
        return parts.joined(separator: "  ")
    }

    /// "m:ss" or "h:mm:ss".
    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        let h = s / 3600, m = (s % 3600) / 60, r = s % 60
        return h > 0 ? String(format: "%d:%02d:%02d", h, m, r) : String(format: "%d:%02d", m, r)
    }
}

/// Download progress on stderr (bytes, %, MB/s): redrawn in place on a terminal, else a line per 10 %.
/// Called from URLSession's delegate queue; the state is behind a lock.
final class ByteProgress: Sendable {
    private struct State {
        var lastDraw = Date.distantPast
        var lastDecile = 0
        var drew = false
    }
    private let isTerminal = isatty(STDERR_FILENO) != 0
    private let started = Date()
    private let state = Mutex(State())

    func update(done: Int64, total: Int64) {
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
        if let text { StandardError.write(text) }
    }

    /// Ends the in-place line so later output starts on a fresh line.
    func finish() {
        if state.withLock({ s in defer { s.drew = false }; return s.drew }) { StandardError.write("\n") }
    }

    private func line(_ done: Int64, _ total: Int64, _ now: Date) -> String {
        let mb = 1_048_576.0, elapsed = now.timeIntervalSince(started)
        let percent = total > 0 ? Int(Double(done) * 100 / Double(total)) : 100
        let rate = elapsed > 0 ? Double(done) / mb / elapsed : 0
        return String(format: "%.1f / %.1f MB (%d%%)  %.1f MB/s", Double(done) / mb, Double(total) / mb, percent, rate)
    }
}
