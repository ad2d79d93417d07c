/// torchvision's AnchorGenerator for R50-FPN: one size per level (32…512), aspect ratios 0.5, 1, 2; anchors are
/// ordered by row, column, then aspect ratio, in padded-image coordinates (x1y1x2y2).
public struct AnchorGenerator: Sendable {
    public let sizes: [Float] = [32, 64, 128, 256, 512]
    public let aspectRatios: [Float] = [0.5, 1.0, 2.0]

    public init() {}

    /// Zero-centred rounded base anchors of one level.
    public func cellAnchors(size: Float) -> [BoxF] {
        aspectRatios.map { ar in
            let hr = ar.squareRoot()
            let wr = 1 / hr
            let ws = wr * size, hs = hr * size
            func r(_ v: Float) -> Float { v.rounded(.toNearestOrEven) }
            return BoxF(r(-ws / 2), r(-hs / 2), r(ws / 2), r(hs / 2))
        }
    }

    /// Anchors of level `level` for a feature grid of gh×gw over a padded image of ph×pw.
    public func anchors(level: Int, gridH gh: Int, gridW gw: Int, imageH ph: Int, imageW pw: Int) -> [BoxF] {
        let base = cellAnchors(size: sizes[level])
        let sy = ph / gh, sx = pw / gw
        var out: [BoxF] = []
        out.reserveCapacity(gh * gw * base.count)
        for y in 0..<gh {
            let shy = Float(y * sy)
            for x in 0..<gw {
                let shx = Float(x * sx)
                for b in base { out.append(BoxF(shx + b.x1, shy + b.y1, shx + b.x2, shy + b.y2)) }
            }
        }
        return out
    }
}
