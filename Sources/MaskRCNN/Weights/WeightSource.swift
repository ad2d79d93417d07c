import Checkpoint
import Tensor

/// A checkpoint tensor that is missing, misshapen or unexpected, named in one line.
public struct WeightError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Hands out a state dict's tensors by torchvision 0.14 name, accepting the pre-0.13 names the official
/// 2019 checkpoints use, checking every shape, and recording which entries were consumed.
final class WeightSource {
    private let dict: StateDict
    private(set) var consumed: Set<String> = []
    /// The engine the layers built from these weights are prepared for.
    let engine: ComputeEngine

    init(_ dict: StateDict, engine: ComputeEngine = .reference) {
        self.dict = dict
        self.engine = engine
    }

    /// The tensor `name` (new-style name) with exactly `shape`, from the new or the legacy name.
    func tensor(_ name: String, _ shape: [Int]) throws -> [Float] {
        let candidates = [name] + WeightNames.legacyAliases(of: name)
        guard let found = candidates.first(where: { dict[$0] != nil }), let t = dict[found] else {
            throw WeightError("checkpoint has no tensor '\(name)' (is this a torchvision Mask R-CNN R50-FPN checkpoint?)")
        }
        guard t.shape == shape else {
            throw WeightError("tensor '\(found)' has shape \(t.shape), expected \(shape)")
        }
        consumed.insert(found)
        return t.values
    }

    /// Entries never consumed, other than batch-norm bookkeeping.
    func unexpectedNames() -> [String] {
        dict.names.filter { !consumed.contains($0) && !$0.hasSuffix("num_batches_tracked") }
    }

    /// Throws naming the first unexpected entry: a checkpoint for another model must not load silently.
    func checkAllConsumed(model: String) throws {
        let extra = unexpectedNames()
        if let first = extra.first {
            throw WeightError("unexpected tensor '\(first)' in checkpoint (\(extra.count) not used): not a \(model) checkpoint")
        }
    }
}

/// torchvision's parameter naming: current names and the legacy (pre-0.13) aliases of renamed blocks.
public enum WeightNames {
    /// Legacy names under which `name` appears in older checkpoints (FPN, RPN head, mask head renames).
    public static func legacyAliases(of name: String) -> [String] {
        var out: [String] = []
        for prefix in ["backbone.fpn.inner_blocks.", "backbone.fpn.layer_blocks."] where name.hasPrefix(prefix) {
            // backbone.fpn.inner_blocks.{i}.0.{w}  ←  backbone.fpn.inner_blocks.{i}.{w}
            let rest = name.dropFirst(prefix.count).split(separator: ".")
            if rest.count == 3, rest[1] == "0" { out.append(prefix + rest[0] + "." + rest[2]) }
        }
        if name.hasPrefix("rpn.head.conv.0.0.") {
            out.append("rpn.head.conv." + name.dropFirst("rpn.head.conv.0.0.".count))
        }
        let maskPrefix = "roi_heads.mask_head."
        if name.hasPrefix(maskPrefix) {
            let rest = name.dropFirst(maskPrefix.count).split(separator: ".")
            if rest.count == 3, rest[1] == "0", let i = Int(rest[0]) {
                out.append(maskPrefix + "mask_fcn\(i + 1)." + rest[2])
            }
        }
        return out
    }
}
