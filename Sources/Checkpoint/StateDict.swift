/// One named tensor from a checkpoint: contiguous row-major float32 values and their shape.
public struct CheckpointTensor: Sendable, Equatable {
    public let shape: [Int]
    public let values: [Float]

    public init(shape: [Int], values: [Float]) {
        precondition(shape.reduce(1, *) == values.count, "shape \(shape) does not hold \(values.count) values")
        self.shape = shape
        self.values = values
    }

    /// Number of elements (product of the shape; 1 for a scalar).
    public var count: Int { values.count }
}

/// A checkpoint's tensors by name, keeping the file's order (as PyTorch's `state_dict()` does).
public struct StateDict: Sendable {
    public private(set) var names: [String] = []
    public private(set) var tensors: [String: CheckpointTensor] = [:]

    public init() {}

    public subscript(name: String) -> CheckpointTensor? { tensors[name] }

    public var count: Int { names.count }

    /// Adds or replaces a tensor; a new name goes to the end of the order.
    public mutating func set(_ name: String, _ tensor: CheckpointTensor) {
        if tensors.updateValue(tensor, forKey: name) == nil { names.append(name) }
    }
}
