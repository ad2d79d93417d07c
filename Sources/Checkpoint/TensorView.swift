/// A tensor as pickled by torch: a window (element offset, shape, strides in elements) on one storage.
struct TensorView {
    let storage: StorageRef
    let offset: Int
    let shape: [Int]
    let stride: [Int]

    init(storage: StorageRef, offset: Int, shape: [Int], stride: [Int]) throws {
        guard shape.count == stride.count else {
            throw CheckpointError.malformed("tensor has \(shape.count) sizes but \(stride.count) strides")
        }
        guard offset >= 0, shape.allSatisfy({ $0 >= 0 }), stride.allSatisfy({ $0 >= 0 }) else {
            throw CheckpointError.malformed("tensor with negative offset, size or stride (\(offset), \(shape), \(stride))")
        }
        self.storage = storage
        self.offset = offset
        self.shape = shape
        self.stride = stride
    }

    /// Largest element count of a view larger than its storage (64 Mi floats, 256 MB).
    static let maxBroadcastCount = 1 << 26

    /// Number of elements, or nil on overflow.
    var count: Int? {
        var total = 1
        for n in shape {
            let (product, overflow) = total.multipliedReportingOverflow(by: n)
            if overflow { return nil }
            total = product
        }
        return total
    }

    /// True when the elements are one contiguous row-major run (size-1 dimensions may have any stride).
    var isContiguous: Bool {
        var expected = 1
        for d in stride.indices.reversed() where shape[d] != 1 {
            if stride[d] != expected { return false }
            expected *= shape[d]
        }
        return true
    }

    /// Copies the viewed elements, converted to Float, into a contiguous row-major tensor.
    /// `bytes` holds the root storage: `storage.rootCount` elements of `storage.dtype`.
    func materialize(from bytes: UnsafeRawBufferPointer, name: String) throws -> CheckpointTensor {
        guard let count else { throw CheckpointError.malformed("tensor '\(name)' has an absurd shape \(shape)") }
        let dtype = storage.dtype
        let (first, overflow) = storage.viewOffset.addingReportingOverflow(offset)
        if overflow { throw CheckpointError.malformed("tensor '\(name)' has an absurd storage offset \(offset)") }
        if count > 0 {
            var last = first
            for d in shape.indices {
                let (step, o1) = (shape[d] - 1).multipliedReportingOverflow(by: stride[d])
                let (sum, o2) = last.addingReportingOverflow(step)
                if o1 || o2 { throw CheckpointError.malformed("tensor '\(name)' has absurd strides \(stride)") }
                last = sum
            }
            let viewEnd = storage.viewCount.map { storage.viewOffset + $0 } ?? storage.rootCount
            guard last < viewEnd, last < storage.rootCount else {
                throw CheckpointError.malformed(
                    "tensor '\(name)' (offset \(offset), shape \(shape), stride \(stride)) "
                        + "reaches element \(last) of a storage holding \(min(viewEnd, storage.rootCount))")
            }
            // Only zero or overlapping strides (torch's expand) view more elements than the storage holds;
            // cap those so a hostile file cannot demand an absurd allocation.
            guard count <= storage.rootCount || count <= Self.maxBroadcastCount else {
                throw CheckpointError.malformed("tensor '\(name)' views \(count) elements of a \(storage.rootCount)-element storage")
            }
            guard bytes.count >= storage.rootCount * dtype.byteSize, let base = bytes.baseAddress else {
                throw CheckpointError.truncated(
                    expected: "\(storage.rootCount * dtype.byteSize) bytes for storage '\(storage.key)', found \(bytes.count)")
            }
            let values = [Float](unsafeUninitializedCapacity: count) { out, initialized in
                gather(base, first: first, into: out.baseAddress!)
                initialized = count
            }
            return CheckpointTensor(shape: shape, values: values)
        }
        return CheckpointTensor(shape: shape, values: [])
    }

    private func gather(_ base: UnsafeRawPointer, first: Int, into out: UnsafeMutablePointer<Float>) {
        let dtype = storage.dtype
        let size = dtype.byteSize
        if isContiguous || shape.isEmpty {
            dtype.convert(base + first * size, count: count ?? 0, into: out)
            return
        }
        // Walk the outer dimensions with an odometer; the innermost one is a strided run.
        let rank = shape.count
        let inner = shape[rank - 1], innerStride = stride[rank - 1]
        var index = [Int](repeating: 0, count: rank - 1)
        var source = first
        var written = 0
        let total = count ?? 0
        while written < total {
            for i in 0..<inner { out[written + i] = dtype.load(base + (source + i * innerStride) * size) }
            written += inner
            var d = rank - 2
            while d >= 0 {
                index[d] += 1
                source += stride[d]
                if index[d] < shape[d] { break }
                source -= stride[d] * shape[d]
                index[d] = 0
                d -= 1
            }
        }
    }
}

/// A storage as persisted by torch: its key, dtype and element count, optionally a legacy sub-view of it.
struct StorageRef {
    let key: String
    let dtype: StorageDType
    /// Elements in the root storage record.
    let rootCount: Int
    /// Legacy view metadata: the view starts at this element of the root storage...
    var viewOffset: Int = 0
    /// ...and holds this many elements (nil: the whole root).
    var viewCount: Int?
}
