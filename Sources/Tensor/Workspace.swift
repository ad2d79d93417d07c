/// Scratch memory reused across layers and frames (im2col columns, GEMM outputs); owned by one thread at a time.
public final class Workspace {
    private var buffers: [UnsafeMutablePointer<Float>?] = [nil, nil, nil, nil]
    private var capacities: [Int] = [0, 0, 0, 0]

    public init() {}

    deinit { for b in buffers { b?.deallocate() } }

    /// A buffer of at least `count` floats in slot `slot` (0, 1: im2col/GEMM/Winograd; 2, 3: oneDNN's blocked input/output); contents are undefined and valid until the next call for that slot.
    public func buffer(_ slot: Int, count: Int) -> UnsafeMutablePointer<Float> {
        if capacities[slot] < count {
            buffers[slot]?.deallocate()
            let cap = max(count, capacities[slot] * 5 / 4)
            buffers[slot] = UnsafeMutablePointer<Float>.allocate(capacity: cap)
            capacities[slot] = cap
        }
        return buffers[slot]!
    }
}
