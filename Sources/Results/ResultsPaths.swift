import Pipeline

/// Where a run writes its results files (nil = not written), and whether JSON Lines carry per-frame `timing`.
public struct ResultsPaths: Sendable, Equatable {
    public var json: String?
    public var mot: String?
    public var mots: String?
    /// Write each frame's `timing` (decode, each stage's busy ms, encode) into the JSON Lines.
    public var timing = false

    public init(json: String? = nil, mot: String? = nil, mots: String? = nil, timing: Bool = false) {
        self.json = json
        self.mot = mot
        self.mots = mots
        self.timing = timing
    }

    /// The paths given, in the order json, mot, mots.
    public var all: [String] { [json, mot, mots].compactMap { $0 } }
}
