import Pipeline

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
