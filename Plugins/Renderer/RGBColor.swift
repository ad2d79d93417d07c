import Pipeline

/// An sRGB colour with 8-bit channels.
public struct RGBColor: Sendable, Equatable, Hashable {
    public var r: UInt8
    public var g: UInt8
    public var b: UInt8

    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) {
        self.r = r
        self.g = g
        self.b = b
    }

    public static let white = RGBColor(255, 255, 255)
    public static let black = RGBColor(0, 0, 0)

    /// Rec. 601 luma in 0…255, used to pick readable text on a tab.
    public var luma: Float { 0.299 * Float(r) + 0.587 * Float(g) + 0.114 * Float(b) }

    /// Black or white, whichever reads better on this colour.
    public var contrastingText: RGBColor { luma > 140 ? .black : .white }

    /// `self` mixed towards `other` by `t` in 0…1, with the same rounding as `Blend.mix`.
    public func mixed(with other: RGBColor, _ t: Float) -> RGBColor {
        RGBColor(Blend.mix(r, other.r, alpha: t), Blend.mix(g, other.g, alpha: t), Blend.mix(b, other.b, alpha: t))
    }
}
