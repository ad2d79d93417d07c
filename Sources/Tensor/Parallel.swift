import Dispatch

/// A float buffer address that may cross into `concurrentPerform` workers, each writing a disjoint region.
public struct SharedFloats: @unchecked Sendable {
    public let base: UnsafeMutablePointer<Float>
    public init(_ base: UnsafeMutablePointer<Float>) { self.base = base }
}

/// Data-parallel loops over the machine's cores (Dispatch's concurrentPerform); the body must touch disjoint data.
public enum Parallel {
    public static func forEach(_ count: Int, _ body: (Int) -> Void) {
        if count <= 1 {
            for i in 0..<count { body(i) }
            return
        }
        withoutActuallyEscaping(body) { b in
            let box = UncheckedBox(b)
            DispatchQueue.concurrentPerform(iterations: count) { i in box.value(i) }
        }
    }
}

private struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
