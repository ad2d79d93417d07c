import Pipeline

/// Where a run writes its results files; nil = not written.
public struct ResultsPaths: Sendable, Equatable {
    public var json: String?
    public var mot: String?
    public var mots: String?

    public init(json: String? = nil, mot: String? = nil, mots: String? = nil) {
        self.json = json
        self.mot = mot
        self.mots = mots
    }

    /// The paths given, in the order json, mot, mots.
    public var all: [String] { [json, mot, mots].compactMap { $0 } }
}
