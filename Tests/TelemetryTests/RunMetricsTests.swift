import Foundation
import Telemetry
import Testing

/// The metrics text is what Prometheus reads: `promtool check metrics` (Debian's `prometheus`) passes, counters
/// only grow, stages appear as histogram labels, and streams stay apart.
@Suite struct RunMetricsTests {
    static func promtool(_ text: String) throws -> (status: Int32, output: String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("promtool-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("metrics.txt"), output = dir.appendingPathComponent("out.txt")
        try text.write(to: input, atomically: true, encoding: .utf8)
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/promtool")
        p.arguments = ["check", "metrics"]
        p.standardInput = try FileHandle(forReadingFrom: input)
        let handle = try FileHandle(forWritingTo: output)
        p.standardOutput = handle
        p.standardError = handle
        try p.run()
        p.waitUntilExit()
        try? handle.close()
        return (p.terminationStatus, (try? String(contentsOf: output, encoding: .utf8)) ?? "")
    }

    /// The value of the sample line starting with `prefix`.
    static func value(_ text: String, _ prefix: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(prefix) }.flatMap { Double($0.split(separator: " ").last ?? "") }
    }

    @Test func promtoolAcceptsTheTextAndCountersGrow() throws {
        let run = RunMetrics()
        let a = run.stream("door"), b = run.stream("yard")
        for i in 0..<5 {
            a.frameRead()
            a.stage("detector", seconds: 0.4)
            a.stage("render", seconds: 0.004)
            a.frameWritten(latency: 0.6)
            a.totals(dropped: i, reconnects: i / 2, publishDropped: 0)
            a.gauges(modelBusy: 0.9, rung: 1, shortSide: 640, publishBacklog: 3)
            a.outputDropped("rtmp://server/live/door", total: 2 * i)
        }
        b.frameRead()
        let first = run.text
        let check = try Self.promtool(first)
        #expect(check.status == 0, "promtool: \(check.output)\n\(first)")
        #expect(Self.value(first, #"mrcnn_frames_read_total{stream="door"}"#) == 5)
        #expect(Self.value(first, #"mrcnn_frames_read_total{stream="yard"}"#) == 1)
        #expect(Self.value(first, #"mrcnn_frames_dropped_total{stream="door"}"#) == 4)
        #expect(Self.value(first, #"mrcnn_source_reconnects_total{stream="door"}"#) == 2)
        #expect(first.contains(#"mrcnn_stage_seconds_count{stream="door",stage="detector"} 5"#))
        #expect(first.contains(#"mrcnn_stage_seconds_count{stream="door",stage="render"} 5"#))
        #expect(first.contains(#"mrcnn_frame_latency_seconds_bucket{stream="door",le="1.0"} 5"#), "\(first)")
        // A total that goes back (a component restarted its count) never makes a counter shrink.
        a.totals(dropped: 1)
        a.frameRead()
        let second = run.text
        #expect(Self.value(second, #"mrcnn_frames_read_total{stream="door"}"#) == 6)
        #expect(Self.value(second, #"mrcnn_frames_dropped_total{stream="door"}"#) == 4)
    }
}
