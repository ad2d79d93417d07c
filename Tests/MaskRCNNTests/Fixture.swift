import Foundation
import Tensor

/// Reads committed JSON fixtures of this test target (made by the scripts in tools/reference/).
enum Fixture {
    static func json(_ name: String) throws -> Any {
        guard let url = Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures") else {
            throw FixtureError.missing(name)
        }
        return try JSONSerialization.jsonObject(with: Data(contentsOf: url))
    }

    static func exists(_ name: String) -> Bool {
        Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures") != nil
    }

    static func floats(_ v: Any?) -> [Float] { (v as? [NSNumber] ?? []).map(\.floatValue) }
    static func ints(_ v: Any?) -> [Int] { (v as? [NSNumber] ?? []).map(\.intValue) }

    static func tensor(_ v: Any?) -> Tensor {
        let d = v as! [String: Any]
        return Tensor(shape: ints(d["shape"]), data: floats(d["data"]))
    }

    enum FixtureError: Error { case missing(String) }
}
