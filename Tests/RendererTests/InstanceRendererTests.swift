import Pipeline
import Renderer
import Testing

@Suite("InstanceRenderer")
struct InstanceRendererTests {
    let renderer = InstanceRenderer(minScore: 0.5, maskAlpha: 0.45, boxThickness: 2, fontScale: 1)

    func person(_ box: Box, score: Float = 0.97, mask: InstanceMask? = nil, keypoints: [Keypoint]? = nil,
                track: Int? = nil) -> Instance {
        Instance(box: box, categoryID: 1, score: score, mask: mask, keypoints: keypoints, trackID: track)
    }

    @Test func emptyListLeavesImageUnchanged() {
        var image = RGBImage(width: 64, height: 48, fill: gray)
        let before = image
        renderer.draw([], on: &image)
        #expect(image == before)
    }

    @Test func instancesBelowMinScoreAreNotDrawn() {
        var image = RGBImage(width: 64, height: 48, fill: gray)
        let before = image
        renderer.draw([person(Box(x1: 10, y1: 20, x2: 40, y2: 40), score: 0.49)], on: &image)
        #expect(image == before)
    }

    @Test func boxEdgeHasTheInstanceColourAndInteriorIsUntouched() {
        var image = RGBImage(width: 100, height: 80, fill: gray)
        renderer.draw([person(Box(x1: 20.4, y1: 30.2, x2: 60.6, y2: 70.9))], on: &image)
        let color = rgb(Palette.color(0))
        // Covered pixels [20, 61) × [30, 71); the 2 px border lies inside.
        #expect(px(image, 20, 50) == color)
        #expect(px(image, 21, 50) == color)
        #expect(px(image, 60, 50) == color)
        #expect(px(image, 40, 70) == color)
        #expect(px(image, 22, 50) == [100, 100, 100])
        #expect(px(image, 40, 50) == [100, 100, 100])
        #expect(px(image, 19, 50) == [100, 100, 100])
        #expect(px(image, 61, 50) == [100, 100, 100])
    }

    @Test func maskInteriorIsBlendedByTheAlphaFormula() {
        var image = RGBImage(width: 100, height: 80, fill: gray)
        let bits = [UInt8](repeating: 1, count: 20 * 10)
        let mask = InstanceMask(x: 30, y: 40, width: 20, height: 10, bits: bits)
        renderer.draw([person(Box(x1: 25, y1: 35, x2: 55, y2: 55), mask: mask)], on: &image)
        let c = Palette.color(0)
        let expected = [Blend.mix(100, c.r, alpha: 0.45), Blend.mix(100, c.g, alpha: 0.45), Blend.mix(100, c.b, alpha: 0.45)]
        #expect(expected == [UInt8((100 * 0.55 + Float(c.r) * 0.45).rounded()),
                             UInt8((100 * 0.55 + Float(c.g) * 0.45).rounded()),
                             UInt8((100 * 0.55 + Float(c.b) * 0.45).rounded())])
        #expect(px(image, 40, 45) == expected)
        #expect(px(image, 30, 40) == expected)
        #expect(px(image, 49, 49) == expected)
        // Outside the mask (but inside the box) stays untouched; far outside too.
        #expect(px(image, 29, 45) == [100, 100, 100])
        #expect(px(image, 40, 50) == [100, 100, 100])
        #expect(px(image, 90, 5) == [100, 100, 100])
    }

    @Test func maskBitsZeroAreNotBlended() {
        var image = RGBImage(width: 10, height: 10, fill: gray)
        image.blendMask(InstanceMask(x: 2, y: 2, width: 2, height: 1, bits: [0, 1]), color: .white, alpha: 0.5)
        #expect(px(image, 2, 2) == [100, 100, 100])
        #expect(px(image, 3, 2) == [178, 178, 178])
    }

    @Test func labelTabSitsAboveTheBoxWithText() throws {
        var image = RGBImage(width: 200, height: 100, fill: gray)
        let instance = person(Box(x1: 50, y1: 40, x2: 150, y2: 90), track: 3)
        #expect(InstanceRenderer.label(for: instance) == "person 0.97 #3")
        renderer.draw([instance], on: &image)
        let size = RGBImage.labelTabSize("person 0.97 #3", scale: 1)
        let color = rgb(Palette.color(3))
        // Tab spans [50, 50 + w) × [40 - h, 40); its padding corner is the tab colour, text pixels are white/black.
        #expect(px(image, 50, 40 - size.height) == color)
        #expect(px(image, 50 + size.width - 1, 39) == color)
        #expect(px(image, 50 + size.width, 40 - size.height) == [100, 100, 100])
        let textColor = rgb(Palette.color(3).contrastingText)
        var textPixels = 0
        for y in (40 - size.height)..<40 {
            for x in 50..<(50 + size.width) where px(image, x, y) == textColor { textPixels += 1 }
        }
        #expect(textPixels > 30)
    }

    @Test func labelMovesInsideWhenNoRoomAboveAndClipsAtBorders() {
        var image = RGBImage(width: 100, height: 40, fill: gray)
        // Box hugging the top-right corner and overflowing the image.
        renderer.draw([person(Box(x1: 70, y1: -5, x2: 115, y2: 30))], on: &image)
        let color = rgb(Palette.color(0))
        let size = RGBImage.labelTabSize("person 0.97", scale: 1)
        #expect(size.width < 100)
        #expect(px(image, 99, 0) == color)
        #expect(px(image, 100 - size.width, 0) == color)
        #expect(px(image, 99 - size.width, 0) == [100, 100, 100])
        #expect(px(image, 0, 39) == [100, 100, 100])
        #expect(image.pixels.count == 100 * 40 * 3)
    }

    @Test func untrackedColoursFollowListIndexAndTrackedFollowIds() {
        var image = RGBImage(width: 100, height: 100, fill: gray)
        renderer.draw([person(Box(x1: 10, y1: 50, x2: 30, y2: 90)),
                       person(Box(x1: 60, y1: 50, x2: 90, y2: 90)),
                       person(Box(x1: 40, y1: 20, x2: 55, y2: 45), track: 7)], on: &image)
        #expect(px(image, 10, 70) == rgb(Palette.color(0)))
        #expect(px(image, 60, 70) == rgb(Palette.color(1)))
        #expect(px(image, 40, 30) == rgb(Palette.color(7)))
    }

    @Test func keypointSkeletonIsDrawn() {
        var image = RGBImage(width: 120, height: 120, fill: gray)
        var keypoints = (0..<17).map { _ in Keypoint(x: 0, y: 0, score: 0, visible: false) }
        // Left shoulder (5) to left hip (11): a vertical limb at x = 30.
        keypoints[5] = Keypoint(x: 30.5, y: 20.5, score: 5, visible: true)
        keypoints[11] = Keypoint(x: 30.5, y: 80.5, score: 5, visible: true)
        // Right hip (12) is invisible: the (11, 12) limb must not be drawn.
        keypoints[12] = Keypoint(x: 90, y: 80, score: 0, visible: false)
        renderer.draw([person(Box(x1: 5, y1: 5, x2: 110, y2: 110), keypoints: keypoints)], on: &image)
        let color = Palette.color(0)
        #expect(px(image, 30, 50) == rgb(color))
        #expect(px(image, 30, 20) == rgb(color.mixed(with: .white, 0.5)))
        #expect(px(image, 60, 80) == [100, 100, 100])
    }

    @Test func renderStageDrawsEveryRecordOfABatch() throws {
        let registry = StageRegistry()
        RendererPlugin.register(in: registry)
        let stage = try #require(try registry.plans(for: ["render"], options: [("render.min-score", "0.9")]).first).make()
        let box = Box(x1: 2, y1: 10, x2: 20, y2: 30)
        var batch = (0..<2).map { i in
            FrameRecord(index: i, pts: 0, time: 0, image: RGBImage(width: 32, height: 32, fill: gray),
                        instances: [Instance(box: box, categoryID: 3, score: i == 0 ? 0.95 : 0.85)])
        }
        try stage.process(&batch)
        #expect(px(batch[0].image, 2, 20) == rgb(Palette.color(0)))
        #expect(px(batch[1].image, 2, 20) == [100, 100, 100])
        #expect(throws: StageError.self) {
            try registry.plans(for: ["render"], options: [("render.min-score", "high")])
        }
        #expect(throws: StageError.providedTooLate(stage: "render", capability: .boxes, provider: "detector")) {
            registry.register("detector", summary: "boxes", provides: [.boxes]) { _ in RenderStage() }
            try registry.validate(["render", "detector"])
        }
    }
}
