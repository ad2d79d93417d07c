/// A value built by `PickleMachine`: plain data, containers, and the few torch objects a state dict holds.
/// Nothing here can run code: globals are resolved to the closed `PickleGlobal` set.
indirect enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    /// An integer too wide for Int (LONG1/LONG4), little-endian two's complement bytes.
    case bigInt([UInt8])
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple([PickleValue])
    case list(PickleList)
    case dict(PickleDict)
    case global(PickleGlobal)
    case storage(StorageRef)
    case tensor(TensorView)

    var kindName: String {
        switch self {
        case .none: "None"
        case .bool: "bool"
        case .int, .bigInt: "int"
        case .float: "float"
        case .string: "str"
        case .bytes: "bytes"
        case .tuple: "tuple"
        case .list: "list"
        case .dict: "dict"
        case let .global(g): "global \(g)"
        case .storage: "storage"
        case .tensor: "tensor"
        }
    }

    var intValue: Int? {
        switch self {
        case let .int(v): v
        case let .bool(b): b ? 1 : 0
        default: nil
        }
    }

    /// Strings, and Python 2 byte strings as ASCII/Latin-1 (old pickles store keys that way).
    var stringValue: String? {
        switch self {
        case let .string(s): s
        case let .bytes(b): String(decoding: b, as: UTF8.self)
        default: nil
        }
    }

    /// Tuples and lists as an array of items.
    var sequence: [PickleValue]? {
        switch self {
        case let .tuple(items): items
        case let .list(list): list.items
        default: nil
        }
    }
}

/// A mutable list (pickles memoize a list, then append to it).
final class PickleList {
    var items: [PickleValue] = []
    init(_ items: [PickleValue] = []) { self.items = items }
}

/// A mutable insertion-ordered dict; keys are compared by their string or integer form.
final class PickleDict {
    private(set) var keys: [PickleValue] = []
    private(set) var values: [PickleValue] = []
    private var index: [String: Int] = [:]

    func set(_ key: PickleValue, _ value: PickleValue) throws {
        let id = try Self.identity(of: key)
        if let at = index[id] {
            values[at] = value
        } else {
            index[id] = keys.count
            keys.append(key)
            values.append(value)
        }
    }

    subscript(key: String) -> PickleValue? {
        index["s:" + key].map { values[$0] }
    }

    var count: Int { keys.count }

    private static func identity(of key: PickleValue) throws -> String {
        switch key {
        case let .string(s): "s:" + s
        case let .bytes(b): "s:" + String(decoding: b, as: UTF8.self)
        case let .int(i): "i:\(i)"
        case let .bool(b): "i:\(b ? 1 : 0)"
        case .none: "n:"
        case let .float(f): "f:\(f)"
        case let .tuple(items): "t:(" + (try items.map(identity(of:)).joined(separator: ",")) + ")"
        default: throw CheckpointError.malformed("unhashable dict key of type \(key.kindName)")
        }
    }
}

/// The only globals a pickle may name; anything else is refused before it is used.
enum PickleGlobal: CustomStringConvertible {
    case orderedDict
    case rebuildTensorV2
    case rebuildParameter
    case rebuildParameterWithState
    case storageType(StorageDType)
    case dtype(StorageDType)

    var description: String {
        switch self {
        case .orderedDict: "collections.OrderedDict"
        case .rebuildTensorV2: "torch._utils._rebuild_tensor_v2"
        case .rebuildParameter: "torch._utils._rebuild_parameter"
        case .rebuildParameterWithState: "torch._utils._rebuild_parameter_with_state"
        case let .storageType(d): "storage type \(d)"
        case let .dtype(d): "torch.\(d)"
        }
    }

    /// Resolves `module.name` against the allow-list, or throws naming the refused global.
    static func resolve(module: String, name: String) throws -> PickleGlobal {
        switch (module, name) {
        case ("collections", "OrderedDict"): return .orderedDict
        case ("torch._utils", "_rebuild_tensor_v2"): return .rebuildTensorV2
        case ("torch._utils", "_rebuild_parameter"): return .rebuildParameter
        case ("torch._utils", "_rebuild_parameter_with_state"): return .rebuildParameterWithState
        default: break
        }
        if module == "torch" {
            if let dtype = StorageDType.fromTorchStorage(name) { return .storageType(dtype) }
            if name.hasSuffix("Storage"), name.count <= 40, name.allSatisfy({ $0.isLetter || $0.isNumber }) {
                // A genuine torch storage class without a float conversion (ComplexFloatStorage, QInt8Storage...).
                throw CheckpointError.unsupportedDType("torch.\(name)")
            }
            if let dtype = StorageDType.fromTorchDType(name) { return .dtype(dtype) }
        }
        throw CheckpointError.forbiddenGlobal(Self.printable(module + "." + name))
    }

    /// Keeps a hostile name on one line and short.
    private static func printable(_ text: String) -> String {
        let clean = String(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : Character($0) })
        return clean.count > 120 ? String(clean.prefix(120)) + "..." : clean
    }
}
