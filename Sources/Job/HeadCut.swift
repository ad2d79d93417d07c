import Pipeline
import Results

/// Which detections the mask and keypoint heads work on: only those that will be drawn or written. Results files
/// (JSON Lines, MOTS) keep every detection the detector kept, so with one of them every detection gets its head;
/// without, the heads skip what the renderer will not draw (below its `min-score`). Any other stage in the chain
/// (the tracker's mask IoU, a plugin) might use the rest, so then every detection keeps its head work.
/// Pure: options in, options out.
enum HeadCut {
    static let heads = ["mask", "keypoints"]
    /// The stages known to use only what the renderer draws.
    static let safe: Set<String> = ["detector", "mask", "keypoints", "render"]

    /// `options` plus `HEAD.min-score` = the drawing threshold, where that is safe and nothing set it already.
    static func apply(to options: [String: String], chain: [String], leading: Bool, results: ResultsPaths,
                      registry: StageRegistry) -> [String: String] {
        guard results.json == nil, results.mots == nil, !leading, chain.contains("render"),
              chain.allSatisfy(safe.contains) else { return options }
        let declared = registry.entry("render")?.options.first { $0.name == "min-score" }?.defaultValue
        guard let cut = options["render.min-score"] ?? declared else { return options }
        var out = options
        for head in heads where chain.contains(head) && out["\(head).min-score"] == nil {
            out["\(head).min-score"] = cut
        }
        return out
    }

}
