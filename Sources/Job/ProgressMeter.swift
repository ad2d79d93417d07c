import Foundation
import Synchronization

/// A job's progress as text for a console: a bar redrawn in place (`\r`) on a terminal, else a plain line every
/// ~2 s or 10 %, with frames/s and the time left; `write` gets the text (a tool sends it to stderr). Feed it from
/// `VideoJob.onProgress`; used from one task (the pipeline's sink).
public final class ProgressMeter {
    public let total: Int?
    public let isTerminal: Bool
    private let write: (String) -> Void
    private let started = Date()
    private var lastDraw: Date
    private var lastDecile = 0
    private var drewBar = false

    public init(total: Int?, isTerminal: Bool, write: @escaping (String) -> Void) {
        self.total = total.flatMap { $0 > 0 ? $0 : nil }
        self.isTerminal = isTerminal
        self.write = write
        lastDraw = isTerminal ? .distantPast : started
    }

    /// Call after each finished frame with the count so far.
    public func update(done: Int) {
        let now = Date()
        if isTerminal {
            guard now.timeIntervalSince(lastDraw) >= 0.1 || done == total else { return }
            lastDraw = now
            drewBar = true
            write("\r" + line(done: done, now: now, bar: true) + "\u{1B}[K")
        } else {
            let decile = total.map { done * 10 / $0 } ?? 0
            guard decile > lastDecile || now.timeIntervalSince(lastDraw) >= 2 else { return }
            lastDecile = decile
            lastDraw = now
            write("progress: " + line(done: done, now: now, bar: false) + "\n")
        }
    }

    /// Ends the bar's line so later output starts on a fresh line.
    public func finish() {
        if drewBar { write("\n") }
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
    public static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        let h = s / 3600, m = (s % 3600) / 60, r = s % 60
        return h > 0 ? String(format: "%d:%02d:%02d", h, m, r) : String(format: "%d:%02d", m, r)
    }
}
