import Foundation
import Testing
import VideoIO

/// Crash-safe video: a fragmented `VideoSink` cut anywhere keeps its whole fragments, and `MP4Join` turns
/// segments into one regular `+faststart` MP4 with every frame once at its timestamp.
@Suite struct FragmentedOutputTests {
    static func box(_ type: String, _ payload: Int) -> [UInt8] {
        let size = 8 + payload
        return [UInt8(size >> 24), UInt8(size >> 16 & 255), UInt8(size >> 8 & 255), UInt8(size & 255)]
            + Array(type.utf8) + [UInt8](repeating: 0, count: payload)
    }

    static func layout(_ bytes: [UInt8]) -> [MP4Boxes.Box] {
        MP4Boxes.boxes(fileSize: bytes.count) { Array(bytes[$0..<min(bytes.count, $0 + 16)]) }
    }

    @Test func completeLengthKeepsWholeFragmentsOnly() {
        let head = Self.box("ftyp", 8) + Self.box("moov", 20)
        let fragment = Self.box("moof", 12) + Self.box("mdat", 30)
        let whole = head + fragment + fragment
        #expect(MP4Boxes.completeLength(Self.layout(whole)) == whole.count)
        // Cut inside the second mdat, and right after the second moof: one fragment is kept.
        #expect(MP4Boxes.completeLength(Self.layout(Array(whole.dropLast(5)))) == head.count + fragment.count)
        #expect(MP4Boxes.completeLength(Self.layout(head + fragment + Self.box("moof", 12))) == head.count + fragment.count)
        // No complete moov: nothing usable. A regular MP4 (moov + mdat) is whole.
        #expect(MP4Boxes.completeLength(Self.layout(Self.box("ftyp", 8) + Array(Self.box("moov", 20).dropLast(1)))) == 0)
        #expect(MP4Boxes.completeLength(Self.layout(head + Self.box("mdat", 40))) == head.count + 48)
        // A 64-bit size that runs past the end stops the walk.
        let large: [UInt8] = [0, 0, 0, 1] + Array("mdat".utf8) + [0, 0, 0, 0, 0, 0, 1, 0]
        #expect(Self.layout(head + large).count == 2)
    }

    /// Writes `frames` frames of a moving gradient at 25 fps (time base 1/12800) into a fragmented sink.
    static func write(_ path: String, frames: Range<Int>, origin: Int64? = nil, finish: Bool = true) throws -> VideoSink {
        let sink = try VideoSink(path: path, width: 64, height: 48, timeBaseNum: 1, timeBaseDen: 12800, frameRate: 25,
                                 audioFrom: nil, fragmented: true, origin: origin)
        for i in frames {
            let rgb = (0..<(64 * 48 * 3)).map { UInt8(truncatingIfNeeded: $0 + i * 7) }
            try sink.write(rgb: rgb, pts: Int64(i * 512))
        }
        if finish { try sink.finish() }
        return sink
    }

    @Test func killedSegmentIsReadableAndSegmentsJoinInOrder() throws {
        let media = try Media()
        defer { media.remove() }
        // An unfinished sink (no trailer, encoder not flushed) stands for a killed process: its file still plays.
        let first = media.path("first.mp4")
        let sink = try Self.write(first, frames: 0..<40, finish: false)
        let origin = try #require(sink.origin)
        let size = try MP4Boxes.trimToComplete(path: first)
        #expect(size > 0)
        let present = try MP4Join.videoTimestamps(path: first).pts
        #expect(present.count > 0 && present.count <= 40)
        #expect(present == (0..<present.count).map { Int64($0 * 512) })
        // A second segment continues at the first missing frame with the same origin; the join is regular MP4.
        let second = media.path("second.mp4")
        _ = try Self.write(second, frames: present.count..<60, origin: origin)
        let joined = media.path("joined.mp4")
        try MP4Join.join([.init(path: first, frames: present.count), .init(path: second)], into: joined)
        let (info, frames) = try Media.decodeAll(joined)
        #expect(frames.count == 60)
        #expect(frames.map(\.pts) == (0..<60).map { Int64($0 * 512) })
        #expect(info.width == 64)
        let boxes = try MP4Boxes.boxes(fileSize: Data(contentsOf: URL(fileURLWithPath: joined)).count) { offset in
            let data = try! Data(contentsOf: URL(fileURLWithPath: joined))
            return Array(data[offset..<min(data.count, offset + 16)])
        }
        #expect(!boxes.contains { $0.type == "moof" })
        #expect((boxes.firstIndex { $0.type == "moov" } ?? 99) < (boxes.firstIndex { $0.type == "mdat" } ?? -1), "not faststart")
    }
}
