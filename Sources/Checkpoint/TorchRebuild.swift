/// torch's side of unpickling, reimplemented as pure value construction: the allow-listed callables
/// (`OrderedDict`, `_rebuild_tensor_v2`, `_rebuild_parameter`) and the persistent ids of storages.
enum TorchRebuild {
    /// Applies an allow-listed global to its arguments.
    static func call(_ global: PickleGlobal, _ args: [PickleValue]) throws -> PickleValue {
        switch global {
        case .orderedDict:
            let dict = PickleDict()
            if let pairs = args.first?.sequence {
                for pair in pairs {
                    guard let kv = pair.sequence, kv.count == 2 else {
                        throw CheckpointError.malformed("OrderedDict built from a non-pair")
                    }
                    try dict.set(kv[0], kv[1])
                }
            }
            return .dict(dict)
        case .rebuildTensorV2:
            // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
            guard args.count >= 4, case let .storage(storage) = args[0], let offset = args[1].intValue,
                  let size = intTuple(args[2]), let stride = intTuple(args[3]) else {
                throw CheckpointError.malformed("_rebuild_tensor_v2 with unexpected arguments (\(args.map(\.kindName)))")
            }
            return .tensor(try TensorView(storage: storage, offset: offset, shape: size, stride: stride))
        case .rebuildParameter, .rebuildParameterWithState:
            // (data, requires_grad, backward_hooks[, state]): a Parameter is its data here.
            guard let data = args.first, case .tensor = data else {
                throw CheckpointError.malformed("\(global) without a tensor argument")
            }
            return data
        case .storageType, .dtype:
            throw CheckpointError.malformed("\(global) is not callable in a state dict")
        }
    }

    /// Decodes torch's persistent id `('storage', StorageType, key, location, numel[, view_metadata])`.
    /// `numel` counts elements of the storage's dtype (bytes for UntypedStorage).
    static func storage(fromPersistentID pid: PickleValue) throws -> StorageRef {
        guard let items = pid.sequence, let kind = items.first?.stringValue else {
            throw CheckpointError.malformed("persistent id is a \(pid.kindName), not a tuple")
        }
        guard kind == "storage" else {
            throw CheckpointError.malformed("persistent id of kind '\(kind)' (a pickled module, not a state dict?)")
        }
        guard items.count >= 5, case let .global(.storageType(dtype)) = items[1], let key = items[2].stringValue,
              let numel = items[4].intValue, numel >= 0 else {
            throw CheckpointError.malformed("storage persistent id with unexpected fields (\(items.map(\.kindName)))")
        }
        guard numel <= Int.max / 8 else { throw CheckpointError.malformed("storage '\(key)' claims \(numel) elements") }
        var ref = StorageRef(key: key, dtype: dtype, rootCount: numel)
        if items.count >= 6, let view = items[5].sequence {
            // Legacy storage views: (view_key, offset, view_size) in elements of the root storage.
            guard view.count == 3, let offset = view[1].intValue, let count = view[2].intValue,
                  offset >= 0, count >= 0, offset <= numel, count <= numel - offset else {
                throw CheckpointError.malformed("storage view on '\(key)' outside its storage")
            }
            ref.viewOffset = offset
            ref.viewCount = count
        }
        return ref
    }

    private static func intTuple(_ value: PickleValue) -> [Int]? {
        guard let items = value.sequence else { return nil }
        var out: [Int] = []
        out.reserveCapacity(items.count)
        for item in items {
            guard let v = item.intValue else { return nil }
            out.append(v)
        }
        return out
    }
}
