import Foundation

/// Reads the safetensors format from a byte buffer: an 8-byte little-endian header length, a JSON header
/// `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}`, then the raw little-endian data.
/// Tensors come back in data-offset order (JSON objects carry no order of their own), which is the
/// writer's order for files written by `SafetensorsWriter` (several empty tensors aside: those sort by name).
enum SafetensorsReader {
    /// Cheap format sniff: a plausible header length followed by '{'.
    static func looksLikeSafetensors(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count >= 10 else { return false }
        let length = UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self))
        return length >= 2 && length < 1 << 40 && bytes[8] == UInt8(ascii: "{")
    }

    static func read(_ bytes: UnsafeRawBufferPointer, limits: CheckpointLimits) throws -> StateDict {
        guard bytes.count >= 8 else { throw CheckpointError.truncated(expected: "an 8-byte safetensors header length") }
        let declared = UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self))
        guard declared <= UInt64(limits.maxSafetensorsHeaderBytes) else {
            throw CheckpointLimits.exceeded("safetensors header of \(declared) bytes "
                + "(limit maxSafetensorsHeaderBytes \(limits.maxSafetensorsHeaderBytes))")
        }
        let length = Int(declared)
        guard length <= bytes.count - 8 else {
            throw CheckpointError.truncated(expected: "a \(length)-byte safetensors header, but the file has \(bytes.count) bytes")
        }
        let header: [String: HeaderItem]
        do {
            header = try JSONDecoder().decode([String: HeaderItem].self,
                                              from: Data(UnsafeRawBufferPointer(rebasing: bytes[8..<8 + length])))
        } catch {
            throw CheckpointError.malformed("safetensors header is not valid JSON of tensor entries")
        }
        let dataStart = 8 + length
        let dataSize = bytes.count - dataStart

        var entries: [(name: String, view: TensorView, begin: Int, end: Int)] = []
        var budget = OutputBudget(limits)
        for (name, item) in header {
            guard case let .tensor(info) = item else { continue }
            if info.shape.count > limits.maxRank {
                throw CheckpointLimits.exceeded("safetensors tensor '\(name)' of \(info.shape.count) dimensions "
                    + "(limit maxRank \(limits.maxRank))")
            }
            guard let dtype = StorageDType.fromSafetensors(info.dtype) else {
                throw CheckpointError.unsupportedDType("safetensors \(info.dtype) (tensor '\(name)')")
            }
            guard info.data_offsets.count == 2, info.data_offsets[0] >= 0, info.data_offsets[0] <= info.data_offsets[1] else {
                throw CheckpointError.malformed("safetensors tensor '\(name)' has bad data_offsets \(info.data_offsets)")
            }
            let begin = info.data_offsets[0], end = info.data_offsets[1]
            let storage = StorageRef(key: name, dtype: dtype, rootCount: (end - begin) / dtype.byteSize)
            var stride = [Int](repeating: 1, count: info.shape.count)
            for d in stride.indices.dropLast().reversed() { stride[d] = stride[d + 1] &* info.shape[d + 1] }
            let view = try TensorView(storage: storage, offset: 0, shape: info.shape, stride: stride)
            guard let count = view.count, count.multipliedReportingOverflow(by: dtype.byteSize) == (end - begin, false) else {
                throw CheckpointError.malformed("safetensors tensor '\(name)' of shape \(info.shape) and dtype \(info.dtype) "
                    + "does not fill its \(end - begin) bytes")
            }
            guard end <= dataSize else {
                throw CheckpointError.truncated(expected: "\(end) data bytes for safetensors tensor '\(name)', "
                    + "the file holds \(dataSize)")
            }
            try budget.claim(count: count, name: name)
            entries.append((name, view, begin, end))
        }
        // Data order; an empty tensor sits before the tensor starting at the same offset; then by name.
        entries.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }

        var dict = StateDict()
        for entry in entries {
            let blob = UnsafeRawBufferPointer(rebasing: bytes[(dataStart + entry.begin)...])
            dict.set(entry.name, try entry.view.materialize(from: blob, name: entry.name))
        }
        return dict
    }

    struct TensorInfo: Decodable {
        let dtype: String
        let shape: [Int]
        let data_offsets: [Int]
    }

    /// A header value: a tensor entry, or the free-form `__metadata__` map.
    enum HeaderItem: Decodable {
        case tensor(TensorInfo)
        case other

        init(from decoder: Decoder) throws {
            if let info = try? TensorInfo(from: decoder) {
                self = .tensor(info)
            } else if (try? [String: String](from: decoder)) != nil {
                self = .other
            } else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "bad entry"))
            }
        }
    }
}
