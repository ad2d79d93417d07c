import Pipeline
import Results

/// Which detections the model heads work on: only those that will be drawn or written. Results files that keep
/// every detection (JSON Lines, MOTS) need every head output; so does any stage that uses all instances (a tracker,
/// a plugin that says nothing). When every stage of the chain declares a narrower use and some draw only above a
/// threshold, the heads (stages with a `scoreCut` option) get the least such threshold, unless their own option is
/// set. Decided on the stages' traits, never their names. Pure: option values in, extra assignments out.
public enum HeadCut {
    /// "HEAD.OPTION" → the cut, for each head whose cut option is not set.
    public static func assignments(chain: [StageRegistry.Entry], options: ChainOptions, leading: Bool,
                            results: ResultsPaths) -> [String: String] {
        guard results.json == nil, results.mots == nil, !leading else { return [:] }
        var thresholds: [Float] = []
        for entry in chain {
            switch entry.traits.instanceUse {
            case .all: return [:]
            case .none: continue
            case .scoring(let key):
                guard let value = try? options[entry.name][key] else { return [:] }
                thresholds.append(value)
            }
        }
        guard let cut = thresholds.min() else { return [:] }
        var out: [String: String] = [:]
        for entry in chain {
            guard let key = entry.traits.scoreCut, !options[entry.name].isSet(key) else { continue }
            out["\(entry.name).\(key.name)"] = key.format(cut)
        }
        return out
    }
}
