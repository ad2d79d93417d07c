import Foundation
import Tensor

/// Loads `Fixtures/ops.json` (written by tools/reference/make_op_fixtures.py with PyTorch's kernels).
enum OpFixtures {
    nonisolated(unsafe) static let all: [String: Any] = {
        let url = Bundle.module.url(forResource: "ops", withExtension: "json", subdirectory: "Fixtures")!
        let data = try! Data(contentsOf: url)
        return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
    }()

    static func cases(_ op: String) -> [[String: Any]] { all[op] as! [[String: Any]] }

    static func tensor(_ c: [String: Any], _ key: String) -> Tensor? {
        guard let t = c[key] as? [String: Any] else { return nil }
        let shape = (t["shape"] as! [NSNumber]).map(\.intValue)
        let data = (t["data"] as! [NSNumber]).map(\.floatValue)
        return Tensor(shape: shape, data: data)
    }

    static func int(_ c: [String: Any], _ key: String) -> Int { (c[key] as! NSNumber).intValue }

    /// Largest |a − b| / (1 + |b|) over all elements; shapes must match.
    static func maxRelativeError(_ a: Tensor, _ b: Tensor) -> Float {
        guard a.shape == b.shape else { return .infinity }
        var m: Float = 0
        for i in 0..<a.count { m = max(m, abs(a.data[i] - b.data[i]) / (1 + abs(b.data[i]))) }
        return m
    }
}
