import Foundation
import Telemetry
import Testing

/// The metrics text is what Prometheus reads: `promtool check metrics` (Debian's `prometheus`) passes, counters
/// only grow, stages appear as histogram labels, and streams stay apart: every per-stream series has its `stream`
/// label, the shared ones (model, publisher) none.
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
            a.totals(dropped: i, reconnects: i / 2)
            a.gauges(fps: 2.5, rung: 1, shortSide: 640)
            run.shared.record(modelBusy: 0.9, publishBacklog: 3, publishDropped: i)
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
        #expect(Self.value(first, #"mrcnn_stream_fps{stream="door"}"#) == 2.5)
        // What the streams share (one model, one publisher) has no stream label.
        #expect(Self.value(first, "mrcnn_model_busy_ratio ") == 0.9 && Self.value(first, "mrcnn_publish_dropped_total ") == 4)
        // A total that goes back (a component restarted its count) never makes a counter shrink.
        a.totals(dropped: 1)
        a.frameRead()
        let second = run.text
        #expect(Self.value(second, #"mrcnn_frames_read_total{stream="door"}"#) == 6)
        #expect(Self.value(second, #"mrcnn_frames_dropped_total{stream="door"}"#) == 4)
    }
}

extension RunMetricsTests {
    /// Every sample line of `text` whose metric is `name` (its buckets, sums and counts too), with its labels.
    static func samples(_ text: String, _ name: String) -> [Substring] {
        text.split(separator: "\n").filter { !$0.hasPrefix("#") && ($0.hasPrefix(name + "{") || $0.hasPrefix(name + "_") || $0.hasPrefix(name + " ")) }
    }

    @Test("the per-stream series of four streams: each stream's own, labelled stream=NAME, never summed")
    func perStreamSeries() throws {
        let run = RunMetrics()
        let names = ["shop", "yard", "gate", "door"]
        for (n, name) in names.enumerated() {
            let s = run.stream(name)
            for _ in 0...n { s.frameRead(); s.frameWritten(latency: 0.2 * Double(n + 1)) }
            s.totals(dropped: 10 * n, reconnects: n)
            s.gauges(fps: Double(n) + 0.5)
        }
        let text = run.text
        #expect(try Self.promtool(text).status == 0, "\(text)")
        for metric in ["mrcnn_frames_read_total", "mrcnn_frames_written_total", "mrcnn_frames_dropped_total",
                       "mrcnn_source_reconnects_total", "mrcnn_frame_latency_seconds", "mrcnn_stream_fps"] {
            let lines = Self.samples(text, metric)
            #expect(!lines.isEmpty && lines.allSatisfy { $0.contains("stream=\"") }, "\(metric) without its stream label: \(lines)")
        }
        for (n, name) in names.enumerated() {
            #expect(Self.value(text, "mrcnn_frames_written_total{stream=\"\(name)\"}") == Double(n + 1))
            #expect(Self.value(text, "mrcnn_frames_dropped_total{stream=\"\(name)\"}") == Double(10 * n))
            #expect(Self.value(text, "mrcnn_source_reconnects_total{stream=\"\(name)\"}") == Double(n))
            #expect(Self.value(text, "mrcnn_stream_fps{stream=\"\(name)\"}") == Double(n) + 0.5)
            #expect(Self.value(text, "mrcnn_frame_latency_seconds_count{stream=\"\(name)\"}") == Double(n + 1))
        }
    }
}
