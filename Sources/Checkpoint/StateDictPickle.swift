/// Finds the state dict in an unpickled torch object and lists its tensors in file order.
/// Accepts a bare state dict or a training checkpoint holding it under "model" or "state_dict";
/// a leading `module.` (DataParallel) is stripped from names; non-tensor entries are skipped.
enum StateDictPickle {
    static func tensors(in root: PickleValue, limits: CheckpointLimits) throws -> [(name: String, view: TensorView)] {
        guard case let .dict(top) = root else {
            throw CheckpointError.noTensors(reason: "the pickled object is a \(root.kindName), not a dict")
        }
        var dict = top
        for key in ["model", "state_dict"] {
            if case let .dict(inner)? = top[key] {
                dict = inner
                break
            }
        }
        var out: [(name: String, view: TensorView)] = []
        out.reserveCapacity(dict.count)
        var seen = Set<String>()
        for (key, value) in zip(dict.keys, dict.values) {
            guard case let .tensor(view) = value else { continue }
            if out.count >= limits.maxTensors {
                throw CheckpointLimits.exceeded("more than \(limits.maxTensors) tensors (limit maxTensors)")
            }
            if view.shape.count > limits.maxRank {
                throw CheckpointLimits.exceeded("a tensor of \(view.shape.count) dimensions (limit maxRank \(limits.maxRank))")
            }
            guard var name = key.stringValue else {
                throw CheckpointError.malformed("state-dict key of type \(key.kindName)")
            }
            if name.hasPrefix("module.") { name.removeFirst("module.".count) }
            guard seen.insert(name).inserted else {
                throw CheckpointError.malformed("tensor name '\(name)' appears twice (once with a 'module.' prefix?)")
            }
            out.append((name, view))
        }
        if out.isEmpty {
            throw CheckpointError.noTensors(reason: "the top-level dict (\(top.count) entries) holds no tensors "
                + "and no 'model' or 'state_dict' dict of tensors")
        }
        return out
    }

    /// Materializes every tensor, one storage at a time: `withStorage` lends the root storage bytes of a key.
    /// The result keeps the pickle's order.
    /// Every tensor is claimed against `limits.maxTotalBytes` before it is allocated.
    static func materialize(_ entries: [(name: String, view: TensorView)], limits: CheckpointLimits,
                            withStorage: (StorageRef, (UnsafeRawBufferPointer) throws -> Void) throws -> Void)
        throws -> StateDict {
        var byKey: [String: [Int]] = [:]
        var keyOrder: [String] = []
        for (i, entry) in entries.enumerated() {
            let key = entry.view.storage.key
            if byKey[key] == nil { keyOrder.append(key) }
            byKey[key, default: []].append(i)
        }
        var budget = OutputBudget(limits)
        for entry in entries {
            guard let count = entry.view.count else {
                throw CheckpointError.malformed("tensor '\(entry.name)' has an absurd shape \(entry.view.shape)")
            }
            try budget.claim(count: count, name: entry.name)
        }
        var results = [CheckpointTensor?](repeating: nil, count: entries.count)
        for key in keyOrder {
            guard let indices = byKey[key] else { continue }
            // The root storage must be big enough for the largest claim made on it.
            var root = entries[indices[0]].view.storage
            for i in indices where entries[i].view.storage.rootCount > root.rootCount { root = entries[i].view.storage }
            try withStorage(root) { bytes in
                for i in indices { results[i] = try entries[i].view.materialize(from: bytes, name: entries[i].name) }
            }
        }
        var dict = StateDict()
        for (entry, tensor) in zip(entries, results) {
            guard let tensor else { throw CheckpointError.missingStorage(key: entry.view.storage.key) }
            dict.set(entry.name, tensor)
        }
        return dict
    }
}
