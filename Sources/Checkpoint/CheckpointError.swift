/// Why a checkpoint could not be read or written; every `description` is a single line.
public enum CheckpointError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file could not be opened or mapped (missing, unreadable, a directory).
    case cannotOpen(path: String, reason: String)
    /// The bytes are not a zip/legacy torch checkpoint nor a safetensors file (random bytes, a video, empty).
    case notACheckpoint(reason: String)
    /// The file ends before something it announces (a pickle, a storage, a zip directory, a tensor blob).
    case truncated(expected: String)
    /// The pickle names a global outside the allow-list; nothing was executed.
    case forbiddenGlobal(String)
    /// The pickle uses an opcode this interpreter does not implement.
    case unsupportedOpcode(byte: UInt8, offset: Int)
    /// A storage or safetensors dtype that has no float32 conversion (complex, float8, ...).
    case unsupportedDType(String)
    /// A tensor refers to storage data the file does not contain.
    case missingStorage(key: String)
    /// The structure is readable but inconsistent (bad pickle stack, view outside its storage, bad header).
    case malformed(String)
    /// The checkpoint holds no tensors where a state dict was expected.
    case noTensors(reason: String)
    /// The file asks for more than a `CheckpointLimits` ceiling allows (`limit` names the limit and its value).
    case limitExceeded(file: String, limit: String)
    /// Writing a file failed.
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason): "cannot open checkpoint \(path): \(reason)"
        case let .notACheckpoint(reason): "not a checkpoint: \(reason)"
        case let .truncated(expected): "truncated checkpoint: expected \(expected)"
        case let .forbiddenGlobal(name):
            "forbidden pickle global '\(name)' refused (only state-dict globals are allowed; nothing was executed)"
        case let .unsupportedOpcode(byte, offset):
            "unsupported pickle opcode 0x\(String(byte, radix: 16, uppercase: false).leftPadded(to: 2)) at byte \(offset)"
        case let .unsupportedDType(name): "unsupported tensor dtype \(name)"
        case let .missingStorage(key): "missing storage record '\(key)'"
        case let .malformed(reason): "malformed checkpoint: \(reason)"
        case let .noTensors(reason): "no tensors in checkpoint: \(reason)"
        case let .writeFailed(path, reason): "cannot write \(path): \(reason)"
        case let .limitExceeded(file, limit): "checkpoint \(file.isEmpty ? "(bytes)" : file) refused: \(limit)"
        }
    }

    /// The same error with the file named (readers of bytes throw limit errors without one).
    func naming(_ file: String) -> CheckpointError {
        if case let .limitExceeded(old, limit) = self, old.isEmpty { return .limitExceeded(file: file, limit: limit) }
        return self
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
