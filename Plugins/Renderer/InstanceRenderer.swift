import Pipeline

/// Draws a frame's instances into its image: masks first, then boxes and skeletons, labels on top. Pure; any thread.
public struct InstanceRenderer: Sendable {
    /// Instances scoring below this are not drawn.
    public var minScore: Float
    /// Opacity of mask overlays.
    public var maskAlpha: Float
    /// Box outline width in px.
    public var boxThickness: Int
    /// Font scale for labels; nil picks one from the image size.
    public var fontScale: Int?

    public init(minScore: Float = 0.5, maskAlpha: Float = 0.45, boxThickness: Int = 2, fontScale: Int? = nil) {
        self.minScore = minScore
        self.maskAlpha = maskAlpha
        self.boxThickness = boxThickness
        self.fontScale = fontScale
    }

    /// Label text: class name and score with two decimals, then "#id" when tracked ("person 0.97 #3").
    public static func label(for instance: Instance) -> String {
        let hundredths = Int((min(max(instance.score, 0), 1) * 100).rounded())
        let score = "\(hundredths / 100).\(hundredths % 100 < 10 ? "0" : "")\(hundredths % 100)"
        var text = "\(COCOCategories.name(instance.categoryID)) \(score)"
        if let id = instance.trackID { text += " #\(id)" }
        return text
    }

    /// Font scale for an image: 1 below 720 px on the short side, 2 from 720 px, 3 from 1200 px, …
    public static func automaticFontScale(width: Int, height: Int) -> Int {
        max(1, (min(width, height) + 240) / 480)
    }

    /// Draws every instance with `score >= minScore`; colour by track id, else by index in `instances`.
    public func draw(_ instances: [Instance], on image: inout RGBImage) {
        let shown = instances.enumerated().filter { $0.element.score >= minScore }
        guard !shown.isEmpty, image.width > 0, image.height > 0 else { return }
        let scale = fontScale ?? Self.automaticFontScale(width: image.width, height: image.height)
        let colors = shown.map { Palette.color(for: $0.element, index: $0.offset) }
        for (k, item) in shown.enumerated() {
            if let mask = item.element.mask { image.blendMask(mask, color: colors[k], alpha: maskAlpha) }
        }
        for (k, item) in shown.enumerated() {
            image.drawBox(item.element.box, color: colors[k], thickness: boxThickness)
            if let keypoints = item.element.keypoints {
                image.drawKeypoints(keypoints, color: colors[k], lineThickness: max(1, boxThickness),
                                    dotRadius: 1 + scale)
            }
        }
        for (k, item) in shown.enumerated() {
            image.drawLabel(Self.label(for: item.element), box: item.element.box, color: colors[k], scale: scale)
        }
    }
}
