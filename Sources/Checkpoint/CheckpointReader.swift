/// Loads a checkpoint file into float32 tensors: torch zip (.pth since 1.6), torch legacy (.pth before 1.6,
/// e.g. torchvision's 2019 COCO weights) or safetensors, detected by magic bytes, never by extension.
/// Pickles are interpreted safely (allow-listed globals only; nothing is executed). Synchronous; any thread.
public enum CheckpointReader {
    /// Which serialisation a file uses.
    public enum Format: String, Sendable {
        case torchZip, torchLegacy, safetensors
    }

    /// Reads `path` under `limits` (every breach is one `CheckpointError.limitExceeded` naming the file).
    public static func load(contentsOf path: String, limits: CheckpointLimits = .standard) throws -> StateDict {
        do {
            let file = try MappedFile(path: path)
            // The mapping must outlive every use of its bytes.
            return try withExtendedLifetime(file) {
                switch try format(of: file.bytes) {
                case .torchLegacy: return try TorchLegacyReader.read(file.bytes, limits: limits, discard: file.discard)
                case .safetensors: return try SafetensorsReader.read(file.bytes, limits: limits)
                case .torchZip: return try TorchZipReader.read(path: path, bytes: file.bytes, limits: limits)
                }
            }
        } catch let error as CheckpointError {
            throw error.naming(path)
        }
    }

    /// Sniffs the format of a file without reading it further.
    public static func format(ofFileAt path: String) throws -> Format {
        let file = try MappedFile(path: path)
        return try withExtendedLifetime(file) { try format(of: file.bytes) }
    }

    static func format(of bytes: UnsafeRawBufferPointer) throws -> Format {
        guard !bytes.isEmpty else { throw CheckpointError.notACheckpoint(reason: "the file is empty") }
        if bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) { return .torchZip }
        if TorchLegacyReader.isLegacy(bytes) { return .torchLegacy }
        if SafetensorsReader.looksLikeSafetensors(bytes) { return .safetensors }
        if bytes.starts(with: [0x50, 0x4B, 0x05, 0x06]) {
            throw CheckpointError.notACheckpoint(reason: "an empty zip archive")
        }
        if bytes[0] == 0x80 {
            throw CheckpointError.notACheckpoint(reason: "a pickle without torch's magic number (a plain pickle, not torch.save)")
        }
        let head = bytes.prefix(8).map { String($0, radix: 16).leftPadded(to: 2) }.joined(separator: " ")
        throw CheckpointError.notACheckpoint(reason: "unrecognised leading bytes \(head) "
            + "(expected a torch zip or legacy checkpoint, or safetensors)")
    }
}
