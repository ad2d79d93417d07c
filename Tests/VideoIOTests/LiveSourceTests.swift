import Foundation
import Testing
import VideoIO

/// Collects log lines from any thread.
final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) { lock.withLock { lines.append(line) } }
    var all: [String] { lock.withLock { lines } }
}

/// A stream server started later from another thread, kept alive until `stop()`.
final class LateServer: @unchecked Sendable {
    private let lock = NSLock()
    private var server: StreamServer?
    func start(port: Int) { let s = try? StreamServer(port: port, transport: .udp); lock.withLock { server = s } }
    func stop() { lock.withLock { server }?.stop() }
}

@Suite("Live sources (loopback ffmpeg servers)", .serialized)
struct LiveSourceTests {
    @Test("inputs are classified: files vs cameras and network URLs")
    func classification() {
        for live in ["/dev/video0", "rtsp://127.0.0.1/x", "http://127.0.0.1:8/a.ts", "HTTPS://h/x", "udp://127.0.0.1:5000",
                     "tcp://127.0.0.1:9"] {
            #expect(VideoInput.isLive(live), "\(live)")
        }
        for file in ["clip.mp4", "/tmp/a b.mkv", "file:///tmp/x.mp4", "pipe:0"] {
            #expect(!VideoInput.isLive(file), "\(file)")
        }
    }

    @Test("a missing camera device is a one-line error naming it")
    func missingDevice() {
        do {
            _ = try VideoSource(url: "/dev/video97")
            Issue.record("expected an error")
        } catch {
            let text = String(describing: error)
            #expect(text.hasPrefix("/dev/video97: no such camera device ("))
            #expect(!text.contains("\n"))
        }
    }

    @Test("JPEG encoder: output decodes back to the picture")
    func jpegRoundTrip() throws {
        let media = try Media()
        defer { media.remove() }
        let width = 63, height = 41
        var rgb = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height { for x in 0..<width { rgb[(y * width + x) * 3] = UInt8(x * 4); rgb[(y * width + x) * 3 + 2] = 200 } }
        let encoder = JPEGEncoder(quality: 3)
        let jpeg = try encoder.encode(rgb: rgb, width: width, height: height)
        #expect(jpeg.starts(with: [0xFF, 0xD8]))
        let path = media.path("x.jpg")
        try Data(jpeg).write(to: URL(fileURLWithPath: path))
        let back = try ImageFile.read(path: path)
        #expect(back.width == width && back.height == height)
        let error = zip(back.rgb, rgb).map { abs(Int($0) - Int($1)) }.reduce(0, +) / rgb.count
        #expect(error < 8)
        _ = try encoder.encode(rgb: [UInt8](repeating: 9, count: 32 * 16 * 3), width: 32, height: 16)   // size change
    }

    @Test("JPEG encoder: every frame of a sequence is encoded anew (the live preview's frames change)")
    func jpegSequence() throws {
        let media = try Media()
        defer { media.remove() }
        let (width, height) = (48, 32)
        let encoder = JPEGEncoder(quality: 5)
        for level in [UInt8(20), 120, 230] {
            let jpeg = try encoder.encode(rgb: [UInt8](repeating: level, count: width * height * 3), width: width, height: height)
            let path = media.path("f\(level).jpg")
            try Data(jpeg).write(to: URL(fileURLWithPath: path))
            let back = try ImageFile.read(path: path)
            let mean = back.rgb.reduce(0) { $0 + Int($1) } / back.rgb.count
            #expect(abs(mean - Int(level)) <= 3, "frame of level \(level) decoded as \(mean)")
        }
    }

    @Test("a stream that is not up yet is waited for (same backoff as a dropped one), then read")
    func waitsForLateStream() throws {
        let port = StreamServer.freePort()
        let lines = LogLines()
        let url = "udp://127.0.0.1:\(port)"
        let late = LateServer()
        let starter = Thread {
            Thread.sleep(forTimeInterval: 2.5)
            late.start(port: port)
        }
        starter.start()
        defer { late.stop() }
        let source = try LiveVideoSource(url: url, readTimeout: 1, reconnectTimeout: 60, log: { lines.append($0) })
        defer { source.close() }
        let frame = try source.nextFrame()
        #expect(frame != nil)
        #expect(lines.all.contains { $0.contains("not up yet") }, "\(lines.all)")
    }

    @Test("an HTTP stream whose server is killed and restarted is reopened; the timeline goes on")
    func reconnectsHTTP() throws {
        let port = StreamServer.freePort()
        var server = try StreamServer(port: port)
        let lines = LogLines()
        let source = try LiveVideoSource(url: server.url, readTimeout: 5, reconnectTimeout: 20) { lines.append($0) }
        defer { source.close(); server.stop() }
        #expect(source.info.width == 160 && source.info.height == 120)
        var frames: [DecodedFrame] = []
        for _ in 0..<8 { if let f = try source.nextFrame() { frames.append(f) } }
        server.stop()
        server = try StreamServer(port: port)
        // Frames still buffered from the first connection come first; then the source reconnects.
        var afterReconnect = 0
        while afterReconnect < 8, frames.count < 300, let f = try source.nextFrame() {
            frames.append(f)
            if source.reconnects > 0 { afterReconnect += 1 }
        }
        #expect(afterReconnect == 8)
        #expect(source.reconnects == 1)
        #expect(frames.map(\.index) == Array(0..<frames.count))
        #expect(zip(frames, frames.dropFirst()).allSatisfy { $0.pts < $1.pts })
        #expect(lines.all.contains { $0.contains("connection lost") })
        #expect(lines.all.contains { $0.contains("reconnected after") })
    }

    @Test("reconnecting gives up after the timeout; interrupt ends a blocked read at once")
    func givesUpAndInterrupts() throws {
        let port = StreamServer.freePort()
        let server = try StreamServer(port: port)
        let lines = LogLines()
        let source = try LiveVideoSource(url: server.url, readTimeout: 5, reconnectTimeout: 1.5) { lines.append($0) }
        defer { source.close() }
        #expect(try source.nextFrame() != nil)
        server.stop()
        let started = Date()
        while try source.nextFrame() != nil {}
        #expect(Date().timeIntervalSince(started) < 10)
        #expect(lines.all.contains { $0.contains("giving up after 1.5 s") })

        // A UDP source with no sender blocks in its read; interrupt() ends it.
        let udpPort = StreamServer.freePort()
        let sender = try StreamServer(port: udpPort, transport: .udp)
        let udp = try LiveVideoSource(url: sender.url, readTimeout: 8, reconnectTimeout: 30)
        defer { udp.close() }
        #expect(try udp.nextFrame() != nil)
        sender.stop()
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.5) { udp.interrupt() }
        let blocked = Date()
        while try udp.nextFrame() != nil {}
        #expect(Date().timeIntervalSince(blocked) < 4)
    }
}
