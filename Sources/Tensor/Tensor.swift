/// A dense float32 tensor: contiguous row-major values with a shape (NCHW for feature maps).
public struct Tensor: Sendable {
    public var shape: [Int]
    public var data: [Float]

    public init(shape: [Int], data: [Float]) {
        precondition(shape.reduce(1, *) == data.count, "shape \(shape) does not hold \(data.count) values")
        self.shape = shape
        self.data = data
    }

    /// A zero-filled tensor.
    public init(zeros shape: [Int]) {
        self.shape = shape
        self.data = [Float](repeating: 0, count: shape.reduce(1, *))
    }

    /// A tensor whose values are written once by `fill` into uninitialised storage of the right size.
    public init(shape: [Int], fill: (UnsafeMutableBufferPointer<Float>) -> Void) {
        let n = shape.reduce(1, *)
        self.shape = shape
        self.data = [Float](unsafeUninitializedCapacity: n) { buf, count in
            fill(buf)
            count = n
        }
    }

    public var count: Int { data.count }
    public var rank: Int { shape.count }

    /// Sizes of an NCHW tensor.
    public var n: Int { shape[0] }
    public var c: Int { shape[1] }
    public var h: Int { shape[2] }
    public var w: Int { shape[3] }

    /// The same values seen with another shape of equal element count.
    public func reshaped(_ newShape: [Int]) -> Tensor { Tensor(shape: newShape, data: data) }

    /// Rows `start..<end` of the leading dimension.
    public func slice(_ start: Int, _ end: Int) -> Tensor {
        let inner = shape.dropFirst().reduce(1, *)
        var s = shape
        s[0] = end - start
        return Tensor(shape: s, data: Array(data[(start * inner)..<(end * inner)]))
    }

    /// Concatenation along the leading dimension.
    public static func concat(_ parts: [Tensor]) -> Tensor {
        guard let first = parts.first else { return Tensor(zeros: [0]) }
        var s = first.shape
        s[0] = parts.reduce(0) { $0 + $1.shape[0] }
        var out = [Float]()
        out.reserveCapacity(s.reduce(1, *))
        for p in parts { out.append(contentsOf: p.data) }
        return Tensor(shape: s, data: out)
    }
}

extension Tensor {
    /// In-place max(x, 0).
    public mutating func relu() {
        data.withUnsafeMutableBufferPointer { p in
            for i in p.indices where p[i] < 0 { p[i] = 0 }
        }
    }

    /// Element-wise sum of two tensors of the same shape.
    public static func + (a: Tensor, b: Tensor) -> Tensor {
        precondition(a.shape == b.shape, "shape mismatch \(a.shape) vs \(b.shape)")
        var out = a
        out.data.withUnsafeMutableBufferPointer { o in
            b.data.withUnsafeBufferPointer { q in
                for i in o.indices { o[i] += q[i] }
            }
        }
        return out
    }
}
