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
    case tuple(PickleTuple)
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

    /// Releases values without recursion: a hostile pickle can nest a million tuples, and Swift would
    /// otherwise free them with a million nested deinit calls (a stack overflow). Containers reachable
    /// from `keep` are left intact. Linear time: every container is emptied (or kept) on its first visit.
    static func dismantle(_ values: [PickleValue], keeping keep: PickleValue? = nil) {
        var kept = Set<ObjectIdentifier>()
        var work: [PickleValue] = keep.map { [$0] } ?? []
        while let value = work.popLast() {
            if let box = value.container, kept.insert(ObjectIdentifier(box)).inserted { work.append(contentsOf: box.children) }
        }
        work = values
        while let value = work.popLast() {
            if let box = value.container, !kept.contains(ObjectIdentifier(box)) { work.append(contentsOf: box.takeAll()) }
        }
    }

    /// Nesting depth: 0 for a scalar, 1 + the deepest child for a container (as built, see `PickleContainer`).
    var depth: Int { container?.depth ?? 0 }

    var container: PickleContainer? {
        switch self {
        case let .tuple(box): box
        case let .list(box): box
        case let .dict(box): box
        default: nil
        }
    }

    /// Tuples and lists as an array of items.
    var sequence: [PickleValue]? {
        switch self {
        case let .tuple(tuple): tuple.items
        case let .list(list): list.items
        default: nil
        }
    }
}

/// A pickled container; a reference so values can be released without recursion (see `dismantle`).
/// `depth` is updated as items are added, which bounds how deep values nest as a pickle builds them.
protocol PickleContainer: AnyObject {
    var children: [PickleValue] { get }
    var depth: Int { get }
    /// Empties the container, handing over what it held.
    func takeAll() -> [PickleValue]
}

/// An immutable tuple (boxed, like every container).
final class PickleTuple: PickleContainer {
    private(set) var items: [PickleValue]
    let depth: Int
    init(_ items: [PickleValue]) {
        self.items = items
        depth = 1 + items.reduce(0) { max($0, $1.depth) }
    }
    var children: [PickleValue] { items }

    func takeAll() -> [PickleValue] {
        defer { items = [] }
        return items
    }
}

/// A mutable list (pickles memoize a list, then append to it).
final class PickleList: PickleContainer {
    private(set) var items: [PickleValue] = []
    private(set) var depth: Int
    init(_ items: [PickleValue] = []) {
        self.items = items
        depth = 1 + items.reduce(0) { max($0, $1.depth) }
    }

    func append(contentsOf more: [PickleValue]) {
        items.append(contentsOf: more)
        depth = max(depth, 1 + more.reduce(0) { max($0, $1.depth) })
    }
    var children: [PickleValue] { items }

    func takeAll() -> [PickleValue] {
        defer { items = [] }
        return items
    }
}

/// A mutable insertion-ordered dict; keys are compared by their string or integer form.
final class PickleDict: PickleContainer {
    private(set) var keys: [PickleValue] = []
    private(set) var values: [PickleValue] = []
    private var index: [String: Int] = [:]
    /// Values replaced by a later SETITEM, kept until the dict is dismantled.
    private var replaced: [PickleValue] = []
    private(set) var depth = 1

    var children: [PickleValue] { keys + values + replaced }

    func set(_ key: PickleValue, _ value: PickleValue) throws {
        let id = try Self.identity(of: key)
        depth = max(depth, 1 + max(key.depth, value.depth))
        if let at = index[id] {
            replaced.append(values[at])
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

    func takeAll() -> [PickleValue] {
        defer { keys = []; values = []; replaced = []; index = [:] }
        return keys + values + replaced
    }

    private static func identity(of key: PickleValue, depth: Int = 0) throws -> String {
        guard depth < 16 else { throw CheckpointError.malformed("dict key nested too deeply") }
        return switch key {
        case let .string(s): "s:" + s
        case let .bytes(b): "s:" + String(decoding: b, as: UTF8.self)
        case let .int(i): "i:\(i)"
        case let .bool(b): "i:\(b ? 1 : 0)"
        case .none: "n:"
        case let .float(f): "f:\(f)"
        case let .tuple(tuple): "t:(" + (try tuple.items.map { try identity(of: $0, depth: depth + 1) }.joined(separator: ",")) + ")"
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
