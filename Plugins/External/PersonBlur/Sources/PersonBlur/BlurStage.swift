import MRCNNPluginAPI

/// The `blur` stage: anonymises instances of the chosen classes (default people) by box-blurring the pixels under
/// their mask (or their box when they have none). Options: `blur.classes` (comma-separated COCO names, or "all"),
/// `blur.radius` (pixels, default 8). Needs boxes from an earlier stage; confined to its stage thread.
public final class BlurStage: Stage {
    let classes: Set<Int>?
    let radius: Int

    public init(classes: Set<Int>?, radius: Int) {
        self.classes = classes
        self.radius = radius
    }

    public func process(_ batch: inout [FrameRecord]) throws {
        for i in batch.indices {
            for instance in batch[i].instances where classes?.contains(instance.categoryID) ?? true {
                Blur.apply(to: &batch[i].image, instance: instance, radius: radius)
            }
        }
    }
}

/// Box blur restricted to one instance's region, a pure function on the image.
public enum Blur {
    public static func apply(to image: inout RGBImage, instance: Instance, radius: Int) {
        let w = image.width, h = image.height
        let x0 = max(0, Int(instance.box.x1.rounded(.down))), y0 = max(0, Int(instance.box.y1.rounded(.down)))
        let x1 = min(w, Int(instance.box.x2.rounded(.up))), y1 = min(h, Int(instance.box.y2.rounded(.up)))
        guard x1 > x0, y1 > y0 else { return }
        let source = image.pixels
        func inside(_ x: Int, _ y: Int) -> Bool {
            guard let m = instance.mask else { return true }
            let mx = x - m.x, my = y - m.y
            return mx >= 0 && my >= 0 && mx < m.width && my < m.height && m.bits[my * m.width + mx] != 0
        }
        for y in y0..<y1 {
            for x in x0..<x1 where inside(x, y) {
                var sum = (0, 0, 0), n = 0
                for yy in max(0, y - radius)...min(h - 1, y + radius) {
                    for xx in max(0, x - radius)...min(w - 1, x + radius) {
                        let p = (yy * w + xx) * 3
                        sum.0 += Int(source[p]); sum.1 += Int(source[p + 1]); sum.2 += Int(source[p + 2])
                        n += 1
                    }
                }
                let p = (y * w + x) * 3
                image.pixels[p] = UInt8(sum.0 / n)
                image.pixels[p + 1] = UInt8(sum.1 / n)
                image.pixels[p + 2] = UInt8(sum.2 / n)
            }
        }
    }
}
