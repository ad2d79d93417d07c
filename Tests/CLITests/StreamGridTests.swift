import Foundation
import Testing
import TestPeers
import VideoIO

/// A many-source run's status server seen from outside: the grid in headless Chromium, `/stats.json` and `/metrics`
/// per stream, and `/streams` adding and removing a stream while the run goes on.
@Suite("Many streams: the tiled preview and /streams")
struct StreamGridTests {
    typealias Image = (width: Int, height: Int, rgb: [UInt8])

    /// Distinct coarse colours in one tile of the 2×2 grid (testsrc has many; the empty page few).
    static func colours(_ image: Image, tile: Int) -> Int {
        guard image.width == 800 else { return 0 }
        let (x0, y0) = (tile % 2 * 400 + 60, tile / 2 * 300 + 70)
        var colours = Set<Int>()
        for y in stride(from: y0, to: min(image.height, y0 + 180), by: 3) {
            for x in stride(from: x0, to: x0 + 280, by: 3) {
                let i = (y * image.width + x) * 3
                colours.insert(Int(image.rgb[i] >> 4) << 8 | Int(image.rgb[i + 1] >> 4) << 4 | Int(image.rgb[i + 2] >> 4))
            }
        }
        return colours.count
    }

    @Test("four tiles that change, per-stream stats, a stream added and removed at runtime; every output plays")
    func gridAndStreams() throws {
        guard let binary = CLIHarness.binary else { throw CLIHarness.Failure(description: "mrcnn binary not found") }
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        for (name, size) in [("a", "320x240"), ("b", "256x192"), ("c", "320x180"), ("d", "240x240")] {
            try CLIHarness.makeClip(dir.appendingPathComponent("\(name).mp4"), seconds: 60, size: size, rate: 10, audio: false)
        }
        // --latest reads each file at its frame rate, like a camera: the run lasts long enough to look at.
        let (process, _, err) = try CLIHarness.launch(binary, ["run", "a.mp4", "b.mp4", "c.mp4", "-o", "out/", "--stages", "render",
                                                               "--latest", "--serve", "127.0.0.1:0"], in: dir)
        defer { if process.isRunning { process.terminate() } }
        let port = CLIHarness.previewPort(err)
        let base = "http://127.0.0.1:\(try #require(port, "\(CLIHarness.read(err))"))"
        func curl(_ arguments: [String]) throws -> CLIHarness.Result {
            try CLIHarness.run(CLIHarness.tool("curl"), ["-s", "-w", "\n%{http_code}"] + arguments, in: dir, timeout: 30)
        }
        func streams() throws -> [[String: Any]] {
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(string: base + "/stats.json")!)) as? [String: Any]
            return json?["streams"] as? [[String: Any]] ?? []
        }
        #expect(waitFor(30) { ((try? streams()) ?? []).filter { $0["frames"] as? Int ?? 0 > 0 }.count == 3 })

        // Add a fourth stream; it joins the batches and gets a tile; a POST that is not JSON is refused.
        let refused = try curl(["-X", "POST", "-d", "input=d.mp4", base + "/streams"])
        #expect(refused.stdout.hasSuffix("415"), "\(refused.stdout)")
        let added = try curl(["-X", "POST", "-H", "Content-Type: application/json", "-d", "{\"input\":\"d.mp4\",\"name\":\"added\"}", base + "/streams"])
        #expect(added.stdout.hasSuffix("201"), "\(added.stdout)")
        let listed = try curl([base + "/streams"])
        #expect(["\"a\"", "\"b\"", "\"c\"", "\"added\""].allSatisfy { listed.stdout.contains($0) }, "\(listed.stdout)")
        #expect(waitFor(30) { ((try? streams()) ?? []).filter { $0["frames"] as? Int ?? 0 > 0 }.count == 4 })

        // /metrics: every per-stream series once per stream, labelled with its name, and promtool takes the text.
        let metrics = try curl([base + "/metrics"]).stdout.split(separator: "\n").dropLast().joined(separator: "\n") + "\n"
        for name in ["a", "b", "c", "added"] {
            for series in ["mrcnn_frames_written_total", "mrcnn_frames_dropped_total", "mrcnn_source_reconnects_total",
                           "mrcnn_frame_latency_seconds_count", "mrcnn_stream_fps"] {
                #expect(metrics.contains("\(series){stream=\"\(name)\"}"), "no \(series) for \(name)")
            }
        }
        try metrics.write(to: dir.appendingPathComponent("metrics.txt"), atomically: true, encoding: .utf8)
        let promtool = try CLIHarness.shell("promtool check metrics < metrics.txt", in: dir)
        #expect(promtool.status == 0, "promtool: \(promtool.stdout) \(promtool.stderr)")

        // Screenshots through the DevTools protocol, once the page says every tile shows a decoded frame. Chromium's
        // `--screenshot --virtual-time-budget=5000` waited for 5 s of virtual time, which stands still while a fetch is
        // pending, and each tile always has one (its long-poll for the next frame), while `--timeout` bounds only the
        // page load: 18 s a screenshot with 10 fps streams on an idle machine, over 60 s with 2 fps ones.
        let browser = try HeadlessChromium(width: 800, height: 700, directory: dir)
        defer { browser.close() }
        func screenshot(_ name: String) throws -> Image {
            var image: Image = (0, 0, [])
            try browser.open(base + "/")   // a fresh page: its first frames are the newest ones
            // Up to three, should a tile paint empty while its picture is swapped for the next.
            for attempt in 1...3 where (0..<4).contains(where: { Self.colours(image, tile: $0) <= 20 }) {
                let painted = "[...document.querySelectorAll('.tile img')].filter(i => i.complete && i.naturalWidth > 0).length == 4"
                let shown = try browser.waitUntil(painted, timeout: 60)
                #expect(shown, "four tiles never showed a frame: \(String(describing: try? browser.evaluate("document.body.innerText")))")
                let png = dir.appendingPathComponent("\(name)\(attempt).png")
                try browser.screenshot().write(to: png)
                image = try ImageFile.read(path: png.path)
            }
            return image
        }
        let first = try screenshot("first")
        for tile in 0..<4 { #expect(Self.colours(first, tile: tile) > 20, "tile \(tile) looks empty") }
        let frames = try streams().map { $0["frames"] as? Int ?? 0 }
        // A second of every stream later, each tile must show another picture.
        #expect(waitFor(60) { zip(((try? streams()) ?? []).map { $0["frames"] as? Int ?? 0 }, frames).allSatisfy { $0 > $1 + 10 } })
        let later = try screenshot("later")
        // Compared where each tile's picture is (above its caption, whose figures change anyway), as the page lays it
        // out: testsrc's moving parts (the sliding colour band, the seconds) are low in the picture.
        let box = "b => [b.left, b.top, b.right, b.bottom].map(Math.floor)"
        let areas = try browser.evaluate("""
            [...document.querySelectorAll('.tile')].map(t => ({img: (\(box))(t.querySelector('img').getBoundingClientRect()),
              cap: (\(box))(t.querySelector('.cap').getBoundingClientRect())}))
            """) as? [[String: [NSNumber]]] ?? []
        #expect(areas.count == 4, "\(areas)")
        for (tile, area) in areas.enumerated() {
            let (image, caption) = (area["img"]?.map(\.intValue) ?? [], area["cap"]?.map(\.intValue) ?? [])
            guard image.count == 4, caption.count == 4 else { continue }
            var changed = 0
            for y in stride(from: max(0, image[1]), to: min(later.height, image[3], caption[1]), by: 3) {
                for x in stride(from: max(0, image[0]), to: min(later.width, image[2]), by: 3) {
                    let i = (y * later.width + x) * 3
                    if (0..<3).contains(where: { abs(Int(first.rgb[i + $0]) - Int(later.rgb[i + $0])) > 24 }) { changed += 1 }
                }
            }
            #expect(changed > 20, "tile \(tile) shows the same picture (\(changed) pixels changed)")
        }
        let page = try curl([base + "/stream/b"])
        #expect(page.stdout.contains("/stream/b/frame.jpg") && page.stdout.hasSuffix("200"))
        #expect(try curl([base + "/stream/nosuch"]).stdout.hasSuffix("404"))

        // Remove it again: its outputs are finalised while the others go on.
        let removed = try curl(["-X", "DELETE", base + "/streams/added"])
        #expect(removed.stdout.hasSuffix("200"), "\(removed.stdout)")
        #expect(waitFor(30) { CLIHarness.read(err).contains("added: removed") }, "\(CLIHarness.read(err))")
        #expect((try CLIHarness.probe(dir.appendingPathComponent("out/added.mp4"))["video"] ?? 0) > 0)
        #expect(process.isRunning)

        process.terminate()
        try CLIHarness.wait(process, timeout: 30)
        let stderr = CLIHarness.read(err)
        #expect(process.terminationStatus == 130, "\(stderr)")
        for name in ["a", "b", "c", "added"] {
            let frames = try CLIHarness.probe(dir.appendingPathComponent("out/\(name).mp4"))["video"] ?? 0
            let lines = CLIHarness.read(dir.appendingPathComponent("out/\(name).jsonl")).split(separator: "\n").count
            #expect(frames > 0 && lines == frames, "\(name): \(frames) frames, \(lines) lines")
        }
    }
}
