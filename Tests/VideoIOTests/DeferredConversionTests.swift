import Foundation
import Testing
import VideoIO

/// A read with the RGB conversion deferred (what latest-frame streams do, so dropped frames are never converted) gives,
/// once converted, exactly the eager read's pixels: same picture, same timestamps, upright as well.
@Suite("Deferred RGB conversion")
struct DeferredConversionTests {
    @Test("pending pictures convert to the eager read's bytes, in any order, a rotated input upright", arguments: [0, 90])
    func sameBytes(degrees: Int) throws {
        let media = try Media()
        defer { media.remove() }
        var clip = try media.makeClip("clip.mp4", seconds: 0.6, size: "96x64", audio: false)
        if degrees != 0 {
            let rotated = media.path("rotated.mp4")
            try Media.run("ffmpeg", ["-v", "error", "-y", "-i", clip, "-c", "copy", "-metadata:s:v:0", "rotate=\(degrees)", rotated])
            clip = rotated
        }
        let eager = try VideoSource(url: clip), deferred = try VideoSource(url: clip)
        defer { eager.close(); deferred.close() }
        var expected: [DecodedFrame] = [], pending: [DecodedFrame] = []
        while let frame = try eager.nextFrame() { expected.append(frame) }
        while let frame = try deferred.nextFrame(deferringConversion: true) { pending.append(frame) }
        #expect(expected.count == pending.count && expected.count > 10)
        #expect(pending.allSatisfy { $0.rgb.isEmpty && $0.pending != nil })
        // Converted late and out of order (the decoder has moved on): each picture is still its own frame's.
        for (frame, reference) in zip(pending, expected).reversed() {
            #expect(frame.pts == reference.pts && frame.width == reference.width && frame.height == reference.height)
            #expect(frame.pending?.rgb() == reference.rgb, "frame \(reference.index)")
        }
    }
}
