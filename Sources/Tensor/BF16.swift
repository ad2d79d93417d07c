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

    /// A tensor with every value rounded to bf16 (in parallel chunks).
    public static func round(_ t: Tensor) -> Tensor {
        let n = t.count
        return Tensor(shape: t.shape) { o in
            t.data.withUnsafeBufferPointer { ip in
                let src = SharedFloats(UnsafeMutablePointer(mutating: ip.baseAddress!)), dst = SharedFloats(o.baseAddress!)
                let chunk = 1 << 16, jobs = (n + chunk - 1) / chunk
                Parallel.forEach(jobs) { j in
                    for i in (j * chunk)..<min(n, (j + 1) * chunk) { dst.base[i] = round(src.base[i]) }
                }
            }
        }
    }
}
