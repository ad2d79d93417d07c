import Foundation

/// Accumulated wall time per model component (ms), for benchmarks; used from the thread running the model.
public final class Timings {
    public private(set) var milliseconds: [String: Double] = [:]
    public private(set) var order: [String] = []

    public init() {}

    /// Runs `body`, adding its wall time to `component`.
    @discardableResult
    public func measure<T>(_ component: String, _ body: () throws -> T) rethrows -> T {
        let start = DispatchTime.now().uptimeNanoseconds
        defer {
            let ms = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
            if milliseconds[component] == nil { order.append(component) }
            milliseconds[component, default: 0] += ms
        }
        return try body()
    }

    public func reset() {
        milliseconds = [:]
        order = []
    }
}

extension Optional where Wrapped == Timings {
    /// Measures when timings are being collected, else just runs `body`.
    @inline(__always)
    func measure<T>(_ component: String, _ body: () throws -> T) rethrows -> T {
        if let t = self { return try t.measure(component, body) }
        return try body()
    }
}
