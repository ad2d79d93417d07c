import JSONText
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a `StateDict` as safetensors (F32 only), in the dict's order: 8-byte little-endian header length,
/// JSON header padded with spaces so the data starts 8-byte aligned, then the float32 data. Streams to disk.
public enum SafetensorsWriter {
    public static func write(_ dict: StateDict, to path: String, metadata: [String: String]? = nil) throws {
        var header = "{"
        var fields: [String] = []
        if let metadata {
            let pairs = metadata.keys.sorted().map { "\(JSONText.string($0)):\(JSONText.string(metadata[$0] ?? ""))" }
            fields.append("\"__metadata__\":{" + pairs.joined(separator: ",") + "}")
        }
        var offset = 0
        for name in dict.names {
            guard let tensor = dict[name] else { continue }
            let end = offset + tensor.count * 4
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            fields.append("\(JSONText.string(name)):{\"dtype\":\"F32\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        header += fields.joined(separator: ",") + "}"
        var headerBytes = Array(header.utf8)
        while (8 + headerBytes.count) % 8 != 0 { headerBytes.append(UInt8(ascii: " ")) }

        guard let file = fopen(path, "wb") else {
            throw CheckpointError.writeFailed(path: path, reason: String(cString: strerror(errno)))
        }
        var closed = false
        defer { if !closed { fclose(file) } }
        func put(_ raw: UnsafeRawBufferPointer) throws {
            guard raw.count == 0 || fwrite(raw.baseAddress, 1, raw.count, file) == raw.count else {
                throw CheckpointError.writeFailed(path: path, reason: String(cString: strerror(errno)))
            }
        }
        var length = UInt64(headerBytes.count).littleEndian
        try withUnsafeBytes(of: &length) { try put($0) }
        try headerBytes.withUnsafeBytes { try put($0) }
        for name in dict.names {
            guard let tensor = dict[name] else { continue }
            #if _endian(big)
            try tensor.values.map { $0.bitPattern.littleEndian }.withUnsafeBytes { try put($0) }
            #else
            try tensor.values.withUnsafeBytes { try put($0) }
            #endif
        }
        closed = true
        guard fclose(file) == 0 else { throw CheckpointError.writeFailed(path: path, reason: String(cString: strerror(errno))) }
    }
}
