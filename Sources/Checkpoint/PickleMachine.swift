/// A safe pickle interpreter (protocols 2–5) for torch state dicts: it only builds values, never runs code.
/// Supports the opcodes torch.save emits; globals are checked against `PickleGlobal` as soon as they are read.
struct PickleMachine {
    private let bytes: UnsafeRawBufferPointer
    private let fileOffset: Int
    private var position: Int
    private var stack: [PickleValue] = []
    private var marks: [Int] = []
    private var memo: [Int: PickleValue] = [:]
    /// Every value popped or overwritten, freed by `PickleValue.dismantle` when the run ends.
    private var graveyard: [PickleValue] = []
    private let persistentLoad: (PickleValue) throws -> PickleValue
    private let limits: CheckpointLimits
    private var pushed = 0

    /// `bytes` is the buffer holding the pickle from `start`; `fileOffset` is the file offset of `bytes[0]`
    /// (for error messages). `persistentLoad` turns a BINPERSID id into a value (torch: a storage).
    init(bytes: UnsafeRawBufferPointer, start: Int = 0, fileOffset: Int = 0, limits: CheckpointLimits = .standard,
         persistentLoad: @escaping (PickleValue) throws -> PickleValue) {
        self.bytes = bytes
        self.limits = limits
        self.position = start
        self.fileOffset = fileOffset
        self.persistentLoad = persistentLoad
    }

    /// Runs to STOP; returns the pickled object and the buffer index just past STOP.
    mutating func run() throws -> (value: PickleValue, end: Int) {
        var result: PickleValue?
        defer {
            PickleValue.dismantle(stack + Array(memo.values) + graveyard, keeping: result)
            stack = []
            memo = [:]
            graveyard = []
        }
        while true {
            let at = position
            let op = try readByte(at)
            switch op {
            case 0x80: // PROTO
                let version = try readByte(at)
                if version > 5 { throw CheckpointError.malformed("pickle protocol \(version) at byte \(fileOffset + at) is newer than 5") }
            case 0x95: _ = try read(8, at) // FRAME: sizes only, the data follows inline
            case 0x2E: // STOP
                let value = try pop(at)
                result = value
                return (value, position)
            case 0x7D: try push(.dict(PickleDict())) // EMPTY_DICT
            case 0x5D: try push(.list(PickleList())) // EMPTY_LIST
            case 0x29: try push(.tuple(PickleTuple([]))) // EMPTY_TUPLE
            case 0x28: // MARK
                guard marks.count < limits.maxPickleDepth else {
                    throw CheckpointLimits.exceeded("pickle MARKs nested deeper than \(limits.maxPickleDepth) at byte "
                        + "\(fileOffset + at) (limit maxPickleDepth)")
                }
                marks.append(stack.count)
            case 0x74: try push(.tuple(PickleTuple(try popToMark(at)))) // TUPLE
            case 0x85: let a = try pop(at); try push(.tuple(PickleTuple([a]))) // TUPLE1
            case 0x86: let b = try pop(at), a = try pop(at); try push(.tuple(PickleTuple([a, b]))) // TUPLE2
            case 0x87: let c = try pop(at), b = try pop(at), a = try pop(at); try push(.tuple(PickleTuple([a, b, c]))) // TUPLE3
            case 0x6C: try push(.list(PickleList(try popToMark(at)))) // LIST
            case 0x64: // DICT
                let items = try popToMark(at)
                let dict = PickleDict()
                try setItems(dict, items, at)
                try push(.dict(dict))
            case 0x58: try push(.string(try readUTF8(Int(try readLE(UInt32.self, at)), at))) // BINUNICODE
            case 0x8C: try push(.string(try readUTF8(Int(try readByte(at)), at))) // SHORT_BINUNICODE
            case 0x8D: try push(.string(try readUTF8(try length(try readLE(UInt64.self, at), at), at))) // BINUNICODE8
            case 0x54: try push(.string(try readLatin1(try length(try readLE(Int32.self, at), at), at))) // BINSTRING
            case 0x55: try push(.string(try readLatin1(Int(try readByte(at)), at))) // SHORT_BINSTRING
            case 0x42: try push(.bytes(Array(try readData(Int(try readLE(UInt32.self, at)), at)))) // BINBYTES
            case 0x43: try push(.bytes(Array(try readData(Int(try readByte(at)), at)))) // SHORT_BINBYTES
            case 0x8E: try push(.bytes(Array(try readData(try length(try readLE(UInt64.self, at), at), at)))) // BINBYTES8
            case 0x4A: try push(.int(Int(try readLE(Int32.self, at)))) // BININT
            case 0x4B: try push(.int(Int(try readByte(at)))) // BININT1
            case 0x4D: try push(.int(Int(try readLE(UInt16.self, at)))) // BININT2
            case 0x8A: try push(Self.long(Array(try readData(Int(try readByte(at)), at)))) // LONG1
            case 0x8B: try push(Self.long(Array(try readData(try length(try readLE(Int32.self, at), at), at)))) // LONG4
            case 0x47: // BINFLOAT: big-endian double
                let raw = try read(8, at)
                try push(.float(Double(bitPattern: raw.reduce(UInt64(0)) { $0 << 8 | UInt64($1) })))
            case 0x4E: try push(.none) // NONE
            case 0x88: try push(.bool(true)) // NEWTRUE
            case 0x89: try push(.bool(false)) // NEWFALSE
            case 0x71: try put(Int(try readByte(at)), at) // BINPUT
            case 0x72: try put(Int(try readLE(UInt32.self, at)), at) // LONG_BINPUT
            case 0x94: try put(memo.count, at) // MEMOIZE
            case 0x68: try push(try recall(Int(try readByte(at)), at)) // BINGET
            case 0x6A: try push(try recall(Int(try readLE(UInt32.self, at)), at)) // LONG_BINGET
            case 0x73: // SETITEM
                let value = try pop(at), key = try pop(at)
                try setItems(try dictOnTop(at), [key, value], at)
            case 0x75: // SETITEMS
                let items = try popToMark(at)
                try setItems(try dictOnTop(at), items, at)
            case 0x61: let value = try pop(at); try grow(try listOnTop(at), [value], at) // APPEND
            case 0x65: let items = try popToMark(at); try grow(try listOnTop(at), items, at) // APPENDS
            case 0x63: // GLOBAL: "module\nname\n"
                let module = try readLine(at), name = try readLine(at)
                try push(.global(try PickleGlobal.resolve(module: module, name: name)))
            case 0x93: // STACK_GLOBAL
                let name = try pop(at), module = try pop(at)
                guard let n = name.stringValue, let m = module.stringValue else {
                    throw CheckpointError.malformed("STACK_GLOBAL at byte \(fileOffset + at) without strings")
                }
                try push(.global(try PickleGlobal.resolve(module: m, name: n)))
            case 0x52, 0x81: // REDUCE, NEWOBJ: callable/class and an argument tuple
                let args = try pop(at), callee = try pop(at)
                try push(try call(callee, args, at))
            case 0x92: // NEWOBJ_EX: class, args, kwargs
                let kwargs = try pop(at), args = try pop(at), callee = try pop(at)
                if case let .dict(d) = kwargs, d.count > 0 {
                    throw CheckpointError.malformed("NEWOBJ_EX with keyword arguments at byte \(fileOffset + at)")
                }
                try push(try call(callee, args, at))
            case 0x62: _ = try pop(at); _ = try top(at) // BUILD: object state (OrderedDict._metadata); not needed
            case 0x51: try push(try persistentLoad(try pop(at))) // BINPERSID
            case 0x30: _ = try pop(at) // POP
            case 0x31: _ = try popToMark(at) // POP_MARK
            case 0x32: try push(try top(at)) // DUP
            default:
                throw CheckpointError.unsupportedOpcode(byte: op, offset: fileOffset + at)
            }
        }
    }

    // MARK: calls (only allow-listed globals ever reach here)

    private func call(_ callee: PickleValue, _ args: PickleValue, _ at: Int) throws -> PickleValue {
        guard case let .global(global) = callee else {
            throw CheckpointError.malformed("call of a \(callee.kindName) at byte \(fileOffset + at)")
        }
        guard let argv = args.sequence else {
            throw CheckpointError.malformed("\(global) called with a \(args.kindName) at byte \(fileOffset + at)")
        }
        return try TorchRebuild.call(global, argv)
    }

    // MARK: stack

    /// Pushes a value, counting it against `maxPickleObjects` and its nesting against `maxPickleDepth`.
    private mutating func push(_ value: PickleValue) throws {
        pushed += 1
        if pushed > limits.maxPickleObjects {
            throw CheckpointLimits.exceeded("pickle pushes more than \(limits.maxPickleObjects) values "
                + "(limit maxPickleObjects)")
        }
        try checkDepth(value.depth)
        stack.append(value)
    }

    private func checkDepth(_ depth: Int) throws {
        if depth > limits.maxPickleDepth {
            throw CheckpointLimits.exceeded("pickle containers nested deeper than \(limits.maxPickleDepth) "
                + "(limit maxPickleDepth)")
        }
    }

    private func grow(_ list: PickleList, _ items: [PickleValue], _ at: Int) throws {
        list.append(contentsOf: items)
        try checkDepth(list.depth)
    }

    /// Pops the top value; it is also kept in the graveyard so it is never freed recursively.
    private mutating func pop(_ at: Int) throws -> PickleValue {
        guard stack.count > (marks.last ?? 0), let value = stack.popLast() else {
            throw CheckpointError.malformed("pickle stack underflow at byte \(fileOffset + at)")
        }
        if value.container != nil { graveyard.append(value) }
        return value
    }

    private mutating func put(_ key: Int, _ at: Int) throws {
        if memo.count >= limits.maxPickleMemo, memo[key] == nil {
            throw CheckpointLimits.exceeded("pickle memo of more than \(limits.maxPickleMemo) entries at byte "
                + "\(fileOffset + at) (limit maxPickleMemo)")
        }
        if let old = memo.updateValue(try top(at), forKey: key), old.container != nil { graveyard.append(old) }
    }

    private func top(_ at: Int) throws -> PickleValue {
        guard let value = stack.last else { throw CheckpointError.malformed("pickle stack underflow at byte \(fileOffset + at)") }
        return value
    }

    private mutating func popToMark(_ at: Int) throws -> [PickleValue] {
        guard let mark = marks.popLast() else { throw CheckpointError.malformed("pickle MARK missing at byte \(fileOffset + at)") }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        graveyard.append(contentsOf: items.lazy.filter { $0.container != nil })
        return items
    }

    private func recall(_ key: Int, _ at: Int) throws -> PickleValue {
        guard let value = memo[key] else { throw CheckpointError.malformed("pickle memo \(key) unset at byte \(fileOffset + at)") }
        return value
    }

    private func dictOnTop(_ at: Int) throws -> PickleDict {
        guard case let .dict(dict) = try top(at) else {
            throw CheckpointError.malformed("SETITEM on a \(try top(at).kindName) at byte \(fileOffset + at)")
        }
        return dict
    }

    private func listOnTop(_ at: Int) throws -> PickleList {
        guard case let .list(list) = try top(at) else {
            throw CheckpointError.malformed("APPEND on a \(try top(at).kindName) at byte \(fileOffset + at)")
        }
        return list
    }

    private func setItems(_ dict: PickleDict, _ items: [PickleValue], _ at: Int) throws {
        guard items.count % 2 == 0 else { throw CheckpointError.malformed("odd SETITEMS at byte \(fileOffset + at)") }
        for i in stride(from: 0, to: items.count, by: 2) { try dict.set(items[i], items[i + 1]) }
        try checkDepth(dict.depth)
    }

    // MARK: reading

    private func truncated(_ need: Int, _ at: Int) -> CheckpointError {
        .truncated(expected: "\(need) more bytes for the pickle opcode at byte \(fileOffset + at), "
            + "but the data ends at byte \(fileOffset + bytes.count)")
    }

    private mutating func readByte(_ at: Int) throws -> UInt8 {
        guard position < bytes.count else { throw truncated(1, at) }
        defer { position += 1 }
        return bytes[position]
    }

    private mutating func read(_ count: Int, _ at: Int) throws -> UnsafeRawBufferPointer {
        guard count >= 0, count <= bytes.count - position else { throw truncated(count, at) }
        defer { position += count }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<position + count])
    }

    private mutating func readLE<T: FixedWidthInteger>(_: T.Type, _ at: Int) throws -> T {
        let raw = try read(MemoryLayout<T>.size, at)
        return T(littleEndian: raw.loadUnaligned(as: T.self))
    }

    private func length<T: BinaryInteger>(_ value: T, _ at: Int) throws -> Int {
        guard value >= 0, value <= bytes.count else { throw truncated(Int(clamping: value), at) }
        return Int(value)
    }

    /// The bytes of a string, bytes object or integer, at most `maxPickleStringBytes` long.
    private mutating func readData(_ count: Int, _ at: Int) throws -> UnsafeRawBufferPointer {
        if count > limits.maxPickleStringBytes {
            throw CheckpointLimits.exceeded("pickled string of \(count) bytes at byte \(fileOffset + at) "
                + "(limit maxPickleStringBytes \(limits.maxPickleStringBytes))")
        }
        return try read(count, at)
    }

    private mutating func readUTF8(_ count: Int, _ at: Int) throws -> String {
        String(decoding: try readData(count, at), as: UTF8.self)
    }

    private mutating func readLatin1(_ count: Int, _ at: Int) throws -> String {
        String(String.UnicodeScalarView(try readData(count, at).map { Unicode.Scalar($0) }))
    }

    private mutating func readLine(_ at: Int) throws -> String {
        var end = position
        while end < bytes.count, bytes[end] != 0x0A {
            end += 1
            if end - position > 256 { throw CheckpointError.malformed("over-long GLOBAL name at byte \(fileOffset + at)") }
        }
        guard end < bytes.count else { throw truncated(end - position + 1, at) }
        let text = try readUTF8(end - position, at)
        position += 1
        return text
    }

    /// LONG1/LONG4 payload: little-endian two's complement.
    private static func long(_ raw: [UInt8]) -> PickleValue {
        guard raw.count <= 8 else { return .bigInt(raw) }
        guard let last = raw.last else { return .int(0) }
        var value: UInt64 = last & 0x80 != 0 ? ~0 : 0
        for byte in raw.reversed() { value = value << 8 | UInt64(byte) }
        return .int(Int(Int64(bitPattern: value)))
    }
}
