/// bfloat16 rounding on fp32 values (the upper 16 bits kept, round to nearest even; NaN stays NaN), as hardware
/// and oneDNN convert fp32 → bf16. Used by the emulated bf16 precision.
public enum BF16 {
    @inline(__always)
    public static func round(_ x: Float) -> Float {
        if x.isNaN { return x }
        let b = x.bitPattern
        return Float(bitPattern: (b &+ 0x7FFF &+ ((b >> 16) & 1)) & 0xFFFF_0000)
    }

    /// Every value rounded to bf16.
    public static func round(_ values: [Float]) -> [Float] { values.map(round) }

    /// A tensor with every value rounded to bf16 (in parallel chunks), in the rounding draw `draw`.
    public static func round(_ t: Tensor, draw: Draw = .exact) -> Tensor {
        let n = t.count
        return Tensor(shape: t.shape) { o in
            t.data.withUnsafeBufferPointer { ip in
                let src = SharedFloats(UnsafeMutablePointer(mutating: ip.baseAddress!)), dst = SharedFloats(o.baseAddress!)
                let chunk = 1 << 16, jobs = (n + chunk - 1) / chunk
                Parallel.forEach(jobs) { j in
                    for i in (j * chunk)..<min(n, (j + 1) * chunk) { dst.base[i] = draw.round(src.base[i], at: i) }
                }
            }
        }
    }

    /// Which of the equally exact bf16 computations the emulation computes, as the ideal's draws
    /// (tools/reference/bf16_emulation.py): `exact` rounds each stored value as it is; draw k > 0 first scales it by
    /// 1 ± 2⁻²⁰, the sign hashed from k, the value and its index — what another fp32 summation order does to the
    /// values a bf16 kernel stores (near a rounding boundary they round the other way). Seeded weights leave many
    /// near-ties, so figures like "found" differ between draws by several points; tests compare draws with draws.
    public struct Draw: Sendable, Hashable {
        public let k: UInt64
        public init(_ k: UInt64) { self.k = k }
        public static let exact = Draw(0)

        @inline(__always)
        public func round(_ x: Float, at index: Int) -> Float {
            if k == 0 { return BF16.round(x) }
            var h = UInt64(truncatingIfNeeded: index) &* 0x9E37_79B9_7F4A_7C15
            h ^= UInt64(x.bitPattern) &* 0xBF58_476D_1CE4_E5B9 ^ k &* 0x94D0_49BB_1331_11EB
            h ^= h >> 31
            h = h &* 0xD6E8_FEB8_6659_FD93
            h ^= h >> 32
            return BF16.round(x * (h & 1 == 0 ? 1 + 0x1p-20 : 1 - 0x1p-20))
        }
    }
}
