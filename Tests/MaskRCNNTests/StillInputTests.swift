import Foundation
import MaskRCNN
import Testing
import VideoIO

/// What users feed before the model: photo sizes and JPEG decoding, each against torchvision's own result.
@Suite struct StillInputTests {
    /// torchvision's GeneralizedRCNNTransform.resize on 3,572 sizes × 5 (min, max) settings
    /// (tools/reference/make_resize_table.py): camera and phone sizes, a dense grid, sizes at the long-side cap.
    @Test func resizedSizeMatchesTorchvisionOnTheWholeTable() throws {
        let table = try Fixture.json("resize_table") as! [String: Any]
        let sizes = (table["sizes"] as! [[NSNumber]]).map { ($0[0].intValue, $0[1].intValue) }
        var checked = 0, wrong: [String] = []
        for config in table["configs"] as! [[String: Any]] {
            let minSize = (config["min_size"] as! NSNumber).intValue, maxSize = (config["max_size"] as! NSNumber).intValue
            let transform = ImageTransform(minSize: minSize, maxSize: maxSize)
            let resized = (config["resized"] as! [[NSNumber]]).map { ($0[0].intValue, $0[1].intValue) }
            #expect(resized.count == sizes.count)
            for ((h, w), expected) in zip(sizes, resized) {
                let ours = transform.resizedSize(h: h, w: w)
                if ours != expected { wrong.append("\(h)x\(w) at \(minSize)/\(maxSize): \(ours.h)x\(ours.w), torchvision \(expected.0)x\(expected.1)") }
                checked += 1
            }
        }
        #expect(checked > 17_000)
        #expect(wrong.isEmpty, "\(wrong.count) sizes differ, e.g. \(wrong.prefix(5))")
    }

    @Test func aPhotoOf424x640BecomesTheSizeTorchvisionMakes() {
        let size = ImageTransform().resizedSize(h: 424, w: 640)
        #expect(size.h == 799 && size.w == 1207)
    }

    /// The pixels PIL (libjpeg-turbo) gives torchvision's users for the same file: channel sums and 64 sampled
    /// pixels from the fixture, for 4:2:0 and 4:2:2 photos.
    @Test(arguments: ["messi5_jpg", "butterfly_jpg", "building_wide_jpg"])
    func jpegDecodesAsPIL(stem: String) throws {
        let ref = try Fixture.json(stem) as! [String: Any]
        let decoded = ref["decoded"] as! [String: Any]
        let img = try ParityTests.image(of: ref)
        let size = Fixture.ints(decoded["size"])
        #expect(img.height == size[0] && img.width == size[1])
        var sums = [0, 0, 0]
        for i in 0..<(img.width * img.height) { for c in 0..<3 { sums[c] += Int(img.rgb[i * 3 + c]) } }
        #expect(sums == Fixture.ints(decoded["channel_sums"]))
        for p in decoded["pixels"] as! [[NSNumber]] {
            let (y, x) = (p[0].intValue, p[1].intValue)
            let ours = (0..<3).map { Int(img.rgb[(y * img.width + x) * 3 + $0]) }
            #expect(ours == [p[2].intValue, p[3].intValue, p[4].intValue], "\(stem) pixel (\(y), \(x))")
        }
    }
}
