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

/// The alpha-blend formula every translucent overlay uses.
public enum Blend {
    /// `round(dst·(1−alpha) + src·alpha)`, alpha clamped to 0…1.
    @inlinable
    public static func mix(_ dst: UInt8, _ src: UInt8, alpha: Float) -> UInt8 {
        let a = min(max(alpha, 0), 1)
        let v = (Float(dst) * (1 - a) + Float(src) * a).rounded()
        return UInt8(min(max(v, 0), 255))
    }
}

/// A fixed palette of distinct colours; an instance's colour is stable per track id (per list index when untracked).
public enum Palette {
    public static let colors: [RGBColor] = [
        RGBColor(230, 25, 75), RGBColor(60, 180, 75), RGBColor(255, 225, 25), RGBColor(0, 130, 200),
        RGBColor(245, 130, 48), RGBColor(145, 30, 180), RGBColor(70, 240, 240), RGBColor(240, 50, 230),
        RGBColor(210, 245, 60), RGBColor(250, 190, 212), RGBColor(0, 128, 128), RGBColor(220, 190, 255),
        RGBColor(170, 110, 40), RGBColor(255, 250, 200), RGBColor(128, 0, 0), RGBColor(170, 255, 195),
    ]

    /// The colour for key `n` (track id or list index); negative keys wrap too.
    public static func color(_ n: Int) -> RGBColor {
        let count = colors.count
        return colors[((n % count) + count) % count]
    }

    /// The colour of `instance` at position `index` in its frame's list.
    public static func color(for instance: Instance, index: Int) -> RGBColor {
        color(instance.trackID ?? index)
    }
}
