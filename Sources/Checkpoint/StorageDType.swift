/// Element types a checkpoint storage may hold; every one converts to Float (little-endian bytes).
enum StorageDType: String, Sendable, CaseIterable {
    case float32, float16, bfloat16, float64, int64, int32, int16, int8, uint8, bool

    var byteSize: Int {
        switch self {
        case .float64, .int64: 8
        case .float32, .int32: 4
        case .float16, .bfloat16, .int16: 2
        case .int8, .uint8, .bool: 1
        }
    }

    /// torch's pickled storage class names (`torch.FloatStorage`, ...).
    static func fromTorchStorage(_ name: String) -> StorageDType? {
        switch name {
        case "FloatStorage": .float32
        case "HalfStorage": .float16
        case "BFloat16Storage": .bfloat16
        case "DoubleStorage": .float64
        case "LongStorage": .int64
        case "IntStorage": .int32
        case "ShortStorage": .int16
        case "CharStorage": .int8
        case "ByteStorage", "UntypedStorage": .uint8
        case "BoolStorage": .bool
        default: nil
        }
    }

    /// torch dtype globals (`torch.float32`, ...), as newer pickles may name them.
    static func fromTorchDType(_ name: String) -> StorageDType? {
        switch name {
        case "float32", "float": .float32
        case "float16", "half": .float16
        case "bfloat16": .bfloat16
        case "float64", "double": .float64
        case "int64", "long": .int64
        case "int32", "int": .int32
        case "int16", "short": .int16
        case "int8": .int8
        case "uint8": .uint8
        case "bool": .bool
        default: nil
        }
    }

    /// safetensors dtype codes.
    static func fromSafetensors(_ code: String) -> StorageDType? {
        switch code {
        case "F32": .float32
        case "F16": .float16
        case "BF16": .bfloat16
        case "F64": .float64
        case "I64": .int64
        case "I32": .int32
        case "I16": .int16
        case "I8": .int8
        case "U8": .uint8
        case "BOOL": .bool
        default: nil
        }
    }

    /// Converts the element at byte address `p` (any alignment) to Float.
    @inline(__always)
    func load(_ p: UnsafeRawPointer) -> Float {
        switch self {
        case .float32: Float(bitPattern: UInt32(littleEndian: p.loadUnaligned(as: UInt32.self)))
        case .float16: halfToFloat(UInt16(littleEndian: p.loadUnaligned(as: UInt16.self)))
        case .bfloat16: Float(bitPattern: UInt32(UInt16(littleEndian: p.loadUnaligned(as: UInt16.self))) << 16)
        case .float64: Float(Double(bitPattern: UInt64(littleEndian: p.loadUnaligned(as: UInt64.self))))
        case .int64: Float(Int64(littleEndian: p.loadUnaligned(as: Int64.self)))
        case .int32: Float(Int32(littleEndian: p.loadUnaligned(as: Int32.self)))
        case .int16: Float(Int16(littleEndian: p.loadUnaligned(as: Int16.self)))
        case .int8: Float(p.load(as: Int8.self))
        case .uint8: Float(p.load(as: UInt8.self))
        case .bool: p.load(as: UInt8.self) != 0 ? 1 : 0
        }
    }

    /// Converts `count` consecutive elements starting at `source` into `destination`.
    func convert(_ source: UnsafeRawPointer, count: Int, into destination: UnsafeMutablePointer<Float>) {
        if self == .float32 {
            // Little-endian hosts only (checked when reading): a straight byte copy.
            UnsafeMutableRawPointer(destination).copyMemory(from: source, byteCount: count * 4)
            return
        }
        let step = byteSize
        for i in 0..<count { destination[i] = load(source + i * step) }
    }
}

/// IEEE 754 binary16 → binary32, exact for every value (subnormals, infinities, NaN).
@inline(__always)
func halfToFloat(_ h: UInt16) -> Float {
    let sign = UInt32(h & 0x8000) << 16
    let exponent = UInt32(h >> 10) & 0x1F
    let mantissa = UInt32(h & 0x3FF)
    if exponent == 0x1F { return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13)) }
    if exponent != 0 { return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13)) }
    let magnitude = Float(mantissa) * 0x1p-24  // subnormal or zero: exact in binary32
    return sign != 0 ? -magnitude : magnitude
}
