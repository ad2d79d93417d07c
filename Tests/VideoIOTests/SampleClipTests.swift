import Foundation
import Testing
import VideoIO

/// The committed sample clip: 100 frames of 768×576 H.264 at 10 fps.
@Suite struct SampleClipTests {
    @Test func sampleClipDecodesToHundredFrames() throws {
        let source = try VideoSource(url: Media.sampleClip)
        #expect(source.info.width == 768 && source.info.height == 576)
        #expect(source.info.codecName == "h264")
        #expect(abs(source.info.averageFrameRate - 10) < 1e-6)
        #expect(source.info.estimatedFrameCount == 100)
        #expect(!source.info.hasAudio)
        var count = 0
        var previousPTS: Int64 = .min
        while let frame = try source.nextFrame() {
            #expect(frame.index == count)
            #expect(frame.width == 768 && frame.height == 576 && frame.rgb.count == 768 * 576 * 3)
            #expect(frame.pts > previousPTS)
            #expect(abs(frame.time - Double(count) / 10) < 1e-6)
            previousPTS = frame.pts
            count += 1
        }
        #expect(count == 100)
        #expect(source.corruptPackets == 0)
        #expect(try source.nextFrame() == nil)
        source.close()
        source.close()
    }
}
