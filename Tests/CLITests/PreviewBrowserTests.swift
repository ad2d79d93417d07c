import Foundation
import Testing
import TestPeers
import VideoIO

/// The live preview seen by a real browser: headless Chromium screenshots the page while `mrcnn run` serves it.
@Suite("Live preview in headless Chromium")
struct PreviewBrowserTests {
    @Test("the page shows the annotated video and the stats; the run then stops cleanly on SIGTERM")
    func screenshot() throws {
        guard let binary = CLIHarness.binary else { throw CLIHarness.Failure(description: "mrcnn binary not found") }
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        let clip = dir.appendingPathComponent("clip.mp4"), output = dir.appendingPathComponent("out.mp4")
        try CLIHarness.makeClip(clip, seconds: 40, size: "320x240", rate: 10, audio: false)
        // --latest on a file reads it at its frame rate, like a camera: the run lasts long enough to look at.
        let (process, _, err) = try CLIHarness.launch(binary, ["run", clip.path, "-o", output.path, "--stages", "render",
                                                               "--latest", "--serve", "127.0.0.1:0"], in: dir)
        defer { if process.isRunning { process.terminate() } }
        let port = CLIHarness.previewPort(err)
        let url = "http://127.0.0.1:\(try #require(port, "\(CLIHarness.read(err))"))/"
        // Wait for some frames, so the page has a picture and the stats have numbers.
        #expect(waitFor(20) { CLIHarness.read(err).contains("progress:") })

        // The page pulls its frames by script: a screenshot (through the DevTools protocol) once the page says its
        // picture is a decoded frame, not after a guessed delay. A fresh page for each: its first frame is the newest.
        let browser = try HeadlessChromium(width: 800, height: 600, directory: dir)
        defer { browser.close() }
        func screenshot(_ name: String) throws -> (width: Int, height: Int, rgb: [UInt8]) {
            try browser.open(url)
            let painted = "(v => v.complete && v.naturalWidth > 0)(document.getElementById('video'))"
            let shown = try browser.waitUntil(painted, timeout: 60)
            #expect(shown, "the page never showed a frame: \(String(describing: try? browser.evaluate("document.body.innerText")))")
            let png = dir.appendingPathComponent("\(name).png")
            try browser.screenshot().write(to: png)
            return try ImageFile.read(path: png.path)
        }
        func stats() throws -> [String: Any]? {
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(string: url + "stats.json")!)) as? [String: Any]
        }
        let image = try screenshot("first")
        #expect(image.width == 800 && image.height == 600)
        let colours = Self.videoColours(image)
        #expect(colours > 20, "the video region looks empty (\(colours) colours)")
        // The stats endpoint the page polls reports the run.
        let firstStats = try stats()
        #expect((firstStats?["frames"] as? Int ?? 0) > 0)

        // The picture moves on (the preview once froze on its first frame): after more frames went through, the
        // page shows another picture (testsrc changes every frame) and the newest frame's number has grown.
        let framesBefore = firstStats?["frames"] as? Int ?? 0
        #expect(waitFor(30) { ((try? stats())?["frames"] as? Int ?? 0) >= framesBefore + 10 })
        let later = try screenshot("later")
        let changed = Self.changedVideoPixels(image, later)
        #expect(changed > 200, "the preview shows the same picture after \(framesBefore) → more frames (\(changed) pixels differ)")
        let stats = try stats()
        #expect((stats?["frames"] as? Int ?? 0) > framesBefore)
        #expect(stats?["policy"] as? String == "latest")
        #expect(stats?["parts"] is [Any])

        process.terminate()   // SIGTERM: the same graceful stop as Ctrl-C
        try CLIHarness.wait(process, timeout: 30)
        let stderr = CLIHarness.read(err)
        #expect(process.terminationStatus == 130, "\(stderr)")
        #expect(stderr.contains("mode: latest"))
        #expect((try CLIHarness.probe(output)["video"] ?? 0) > 0)
    }

    /// Pixels of the video region that differ clearly (any channel by more than 24) between two screenshots.
    static func changedVideoPixels(_ a: (width: Int, height: Int, rgb: [UInt8]), _ b: (width: Int, height: Int, rgb: [UInt8])) -> Int {
        guard a.width == 800, a.height == 600, b.width == 800, b.height == 600 else { return 0 }
        var changed = 0
        for y in stride(from: 60, to: 280, by: 2) {
            for x in stride(from: 250, to: 550, by: 2) {
                let i = (y * a.width + x) * 3
                if (0..<3).contains(where: { abs(Int(a.rgb[i + $0]) - Int(b.rgb[i + $0])) > 24 }) { changed += 1 }
            }
        }
        return changed
    }

    /// Distinct colours (coarsely quantised) in the video region, below the stats bar and centred: testsrc has
    /// many, the page itself (near-black and grey) few.
    static func videoColours(_ image: (width: Int, height: Int, rgb: [UInt8])) -> Int {
        guard image.width == 800, image.height == 600 else { return 0 }
        var colours = Set<Int>()
        for y in stride(from: 60, to: 280, by: 2) {
            for x in stride(from: 250, to: 550, by: 2) {
                let i = (y * image.width + x) * 3
                colours.insert(Int(image.rgb[i] >> 4) << 8 | Int(image.rgb[i + 1] >> 4) << 4 | Int(image.rgb[i + 2] >> 4))
            }
        }
        return colours.count
    }
}
