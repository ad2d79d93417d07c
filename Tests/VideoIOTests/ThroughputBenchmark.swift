import Foundation
import Testing
import VideoIO

/// Opt-in throughput measurement on samples/vtest.mp4 (set VIDEOIO_BENCH=1, build with -c release):
/// prints decode (to RGB24) and encode (RGB24 -> H.264 veryfast) frames per second.
@Suite struct ThroughputBenchmark {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["VIDEOIO_BENCH"] != nil))
    func decodeAndEncodeThroughput() throws {
        let clock = ContinuousClock()
        var frames: [DecodedFrame] = []
        let source = try VideoSource(url: Media.sampleClip)
        let decode = try clock.measure { while let f = try source.nextFrame() { frames.append(f) } }
        let info = source.info
        let output = ProcessInfo.processInfo.environment["VIDEOIO_BENCH_OUT"]
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("videoio-bench.mp4").path
        let sink = try VideoSink(path: output, width: info.width, height: info.height, timeBaseNum: info.timeBaseNum,
                                 timeBaseDen: info.timeBaseDen, frameRate: info.averageFrameRate, audioFrom: nil)
        let encode = try clock.measure {
            for f in frames { try sink.write(rgb: f.rgb, pts: f.pts) }
            try sink.finish()
        }
        func fps(_ d: Duration) -> Double { Double(frames.count) / (Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18) }
        print("VideoIO throughput on vtest.mp4 (\(frames.count) frames \(info.width)x\(info.height)): decode \(String(format: "%.1f", fps(decode))) fps, encode (veryfast, crf 20) \(String(format: "%.1f", fps(encode))) fps")
        #expect(frames.count == 100)
    }
}
