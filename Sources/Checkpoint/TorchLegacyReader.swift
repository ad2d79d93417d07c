/// Reads torch's pre-1.6 ("legacy", non-zip) checkpoint layout from a byte buffer (a memory-mapped file):
/// pickles of the magic number, the protocol version 1001 and a sys-info dict, the object pickle with
/// storage persistent ids, a pickled list of storage keys, then per key an 8-byte little-endian element
/// count and the raw little-endian storage bytes.
enum TorchLegacyReader {
    /// The pickled magic number as torch writes it: PROTO 2, LONG1 of 10 bytes.
    static let magicPrefix: [UInt8] = [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]
    static let protocolVersion = 1001

    static func isLegacy(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= magicPrefix.count && zip(bytes, magicPrefix).allSatisfy { $0 == $1 }
    }

    /// `discard` is told each storage's byte range once its tensors are copied out.
    static func read(_ bytes: UnsafeRawBufferPointer, limits: CheckpointLimits,
                     discard: (Range<Int>) -> Void = { _ in }) throws -> StateDict {
        var position = 0
        func next(_ load: ((PickleValue) throws -> PickleValue)? = nil) throws -> PickleValue {
            var machine = PickleMachine(bytes: bytes, start: position, limits: limits, persistentLoad: load ?? { _ in
                throw CheckpointError.malformed("persistent id in a legacy header pickle")
            })
            let (value, end) = try machine.run()
            position = end
            return value
        }

        let magic = try next()
        defer { PickleValue.dismantle([magic]) }
        guard case .bigInt = magic else { throw CheckpointError.notACheckpoint(reason: "bad legacy magic number") }
        let version = try next(), info = try next()
        defer { PickleValue.dismantle([version, info]) }
        guard version.intValue == protocolVersion else {
            throw CheckpointError.malformed("legacy protocol version \(version.intValue.map(String.init) ?? version.kindName), expected 1001")
        }
        if case let .dict(info) = info, case let .bool(little)? = info["little_endian"], !little {
            throw CheckpointError.malformed("big-endian legacy checkpoint is not supported")
        }

        var storages: [String: StorageRef] = [:]
        let root = try next { pid in
            let ref = try TorchRebuild.storage(fromPersistentID: pid)
            if let known = storages[ref.key], known.dtype != ref.dtype {
                throw CheckpointError.malformed("storage '\(ref.key)' used with two dtypes")
            }
            if (storages[ref.key]?.rootCount ?? -1) < ref.rootCount { storages[ref.key] = ref }
            return .storage(ref)
        }
        defer { PickleValue.dismantle([root]) }
        let entries = try StateDictPickle.tensors(in: root, limits: limits)

        let keyList = try next()
        defer { PickleValue.dismantle([keyList]) }
        guard let keys = keyList.sequence?.map({ $0.stringValue ?? "" }) else {
            throw CheckpointError.malformed("legacy storage key list is not a list")
        }
        // Locate every storage record; they follow each other in key-list order.
        var ranges: [String: Range<Int>] = [:]
        for key in keys {
            guard let ref = storages[key] else {
                throw CheckpointError.malformed("legacy storage key '\(key)' was never referenced by the pickle")
            }
            guard bytes.count - position >= 8 else {
                throw CheckpointError.truncated(expected: "the 8-byte size of storage '\(key)' at byte \(position), "
                    + "but the file ends at byte \(bytes.count)")
            }
            let count = Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: Int64.self))
            position += 8
            guard count >= 0, count <= Int64(Int.max / 8) else {
                throw CheckpointError.malformed("storage '\(key)' claims \(count) elements")
            }
            let byteCount = Int(count) * ref.dtype.byteSize
            guard bytes.count - position >= byteCount else {
                throw CheckpointError.truncated(expected: "\(byteCount) bytes of storage '\(key)' at byte \(position), "
                    + "but the file ends at byte \(bytes.count)")
            }
            ranges[key] = position..<position + byteCount
            position += byteCount
        }

        return try StateDictPickle.materialize(entries, limits: limits) { ref, use in
            guard let range = ranges[ref.key] else { throw CheckpointError.missingStorage(key: ref.key) }
            try use(UnsafeRawBufferPointer(rebasing: bytes[range]))
            discard(range)
        }
    }
}
