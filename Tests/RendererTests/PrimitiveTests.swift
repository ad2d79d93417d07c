import Pipeline
import Renderer
import Testing

let gray: (UInt8, UInt8, UInt8) = (100, 100, 100)

func px(_ image: RGBImage, _ x: Int, _ y: Int) -> [UInt8] {
    guard let p = image.pixel(x: x, y: y) else { return [] }
    return [p.0, p.1, p.2]
}

func rgb(_ c: RGBColor) -> [UInt8] { [c.r, c.g, c.b] }

@Suite("Drawing primitives")
struct PrimitiveTests {
    @Test func blendFormula() {
        #expect(Blend.mix(100, 200, alpha: 0.45) == UInt8((100 * 0.55 + 200 * 0.45 as Float).rounded()))
        #expect(Blend.mix(10, 250, alpha: 0) == 10)
        #expect(Blend.mix(10, 250, alpha: 1) == 250)
        #expect(Blend.mix(10, 250, alpha: 7) == 250)
    }

    @Test func strokeRectDrawsInsideEdgesOnly() {
        var image = RGBImage(width: 20, height: 20, fill: gray)
        image.strokeRect(x0: 5, y0: 5, x1: 15, y1: 15, thickness: 2, color: .white)
        #expect(px(image, 5, 5) == [255, 255, 255])
        #expect(px(image, 6, 10) == [255, 255, 255])
        #expect(px(image, 14, 14) == [255, 255, 255])
        #expect(px(image, 7, 7) == [100, 100, 100])
        #expect(px(image, 4, 5) == [100, 100, 100])
        #expect(px(image, 15, 15) == [100, 100, 100])
    }

    @Test func lineConnectsEndpoints() {
        var image = RGBImage(width: 20, height: 20)
        image.drawLine(x0: 2, y0: 3, x1: 17, y1: 12, thickness: 1, color: .white)
        #expect(px(image, 2, 3) == [255, 255, 255])
        #expect(px(image, 17, 12) == [255, 255, 255])
        #expect(px(image, 0, 19) == [0, 0, 0])
    }

    @Test func primitivesClipAtBorders() {
        var image = RGBImage(width: 8, height: 8)
        image.fillRect(x0: -5, y0: -5, x1: 3, y1: 3, color: .white)
        image.drawLine(x0: -100, y0: 4, x1: 100, y1: 4, thickness: 3, color: .white)
        image.fillCircle(cx: 7, cy: 7, radius: 4, color: .white)
        image.drawText("Hi!", x: 6, y: -3, scale: 2, color: .white)
        #expect(px(image, 0, 0) == [255, 255, 255])
        #expect(px(image, 0, 4) == [255, 255, 255])
        #expect(px(image, 7, 7) == [255, 255, 255])
        #expect(image.pixels.count == 8 * 8 * 3)
    }

    @Test func fontCoversPrintableAsciiAndFallsBackToQuestionMark() {
        #expect(BitmapFont.isInk("I", column: 2, row: 3))
        #expect(!BitmapFont.isInk(" ", column: 2, row: 3))
        for row in 0..<7 {
            for column in 0..<5 {
                #expect(BitmapFont.isInk("é", column: column, row: row) == BitmapFont.isInk("?", column: column, row: row))
            }
        }
        #expect(BitmapFont.width(of: "ab", scale: 2) == 22)
    }

    @Test func textDrawsGlyphInk() {
        var image = RGBImage(width: 12, height: 10)
        image.drawText("T", x: 1, y: 1, scale: 1, color: .white)
        // "T": full top row, then the middle column.
        for x in 1...5 { #expect(px(image, x, 1) == [255, 255, 255]) }
        #expect(px(image, 3, 7) == [255, 255, 255])
        #expect(px(image, 1, 7) == [0, 0, 0])
    }

    @Test func paletteIsStableAndWraps() {
        #expect(Palette.color(3) == Palette.colors[3])
        #expect(Palette.color(Palette.colors.count + 2) == Palette.colors[2])
        #expect(Palette.color(-1) == Palette.colors[Palette.colors.count - 1])
    }
}
