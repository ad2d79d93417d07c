#if canImport(Glibc)
import Glibc
#endif

/// Which library runs sgemm in this process, decided once at first use and proven by a numeric self-check.
///
/// Debian's OpenBLAS (DYNAMIC_ARCH) picks its kernels when it loads and falls back to old SSE3 "Prescott" kernels on
/// CPUs it does not know (new Xeons: 22 GFLOP/s instead of ~200). No environment variable can change that after
/// load, so when the loaded core is weak for this CPU's features, sgemm goes to oneDNN's JIT sgemm (kernels generated
/// for the CPU at run time) instead. Either choice must pass the self-check (sgemm on awkward shapes against a double
/// reference); when it fails, the other library is checked and used. `ModelOptions.sgemm` forces one for a model (`auto`: this choice).
public struct SGEMMKernels: Sendable, CustomStringConvertible {
    /// The library that runs sgemm calls: `openblas` or `onednn`, never `auto`.
    public let library: ComputeBackend
    /// OpenBLAS's core name, e.g. "Zen", "Haswell", "SkylakeX", "Prescott".
    public let openblasCore: String
    /// Whether OpenBLAS's core uses the widest vector unit this CPU has (AVX2+FMA or AVX-512).
    public let openblasCoreFits: Bool
    /// Whether the chosen library passed the self-check.
    public let verified: Bool

    public static let chosen = SGEMMKernels()

    /// Cores that use AVX2 + FMA (Haswell kernels and newer), and those that use AVX-512.
    static let avx2Cores: Set<String> = ["Haswell", "Zen", "SkylakeX", "Cooperlake", "SapphireRapids"]
    static let avx512Cores: Set<String> = ["SkylakeX", "Cooperlake", "SapphireRapids"]

    /// Whether OpenBLAS core `core` is as wide as the CPU (arm64 and other architectures: OpenBLAS's choice stands).
    public static func coreFits(_ core: String, cpu: CPUFeatures) -> Bool {
        #if arch(x86_64)
        if cpu.hasAVX512 { return avx512Cores.contains(core) }
        if cpu.hasAVX2 { return avx2Cores.contains(core) }
        return true
        #else
        return true
        #endif
    }

    init() {
        let core = GEMM.coreName
        openblasCore = core
        openblasCoreFits = SGEMMKernels.coreFits(core, cpu: CPUFeatures.current)
        let order: [ComputeBackend] = openblasCoreFits ? [.openblas, .onednn] : [.onednn, .openblas]
        for lib in order where SGEMMKernels.selfCheckPasses(lib) {
            library = lib
            verified = true
            return
        }
        library = order[0]
        verified = false
        StandardErrorLine.write("mrcnn: warning: no sgemm passed the self-check; results may be wrong")
    }

    public var description: String {
        let state = verified ? "verified" : "FAILED self-check"
        switch library {
        case .openblas, .auto: return "OpenBLAS \(openblasCore) (\(state))"
        case .onednn:
            let why = openblasCoreFits ? "" : "; OpenBLAS loaded weak \(openblasCore) kernels"
            return "oneDNN sgemm \(CPUFeatures.current.onednnISA) (\(state)\(why))"
        }
    }

    /// sgemm on shapes with tails in every dimension and both transpositions, against a double reference.
    static func selfCheckPasses(_ library: ComputeBackend) -> Bool {
        var rng = SplitMix(seed: 0x5eed)
        for (m, n, k, ta, tb, acc) in [(37, 129, 67, false, false, false), (256, 196, 576, false, false, false),
                                       (91, 1001, 1024, false, true, true), (100, 33, 17, true, false, false),
                                       (1, 7, 300, false, false, true)] {
            let a = (0..<(m * k)).map { _ in rng.nextFloat() }
            let b = (0..<(k * n)).map { _ in rng.nextFloat() }
            let c0 = (0..<(m * n)).map { _ in rng.nextFloat() }
            var c = c0
            a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
                GEMM.multiply(using: library, m: m, n: n, k: k, a: ap.baseAddress!, lda: ta ? m : k, transA: ta,
                              b: bp.baseAddress!, ldb: tb ? k : n, transB: tb, c: cp.baseAddress!, ldc: n, accumulate: acc)
            } } }
            for i in 0..<m {
                for j in stride(from: 0, to: n, by: max(1, n / 17)) {
                    var ref = acc ? Double(c0[i * n + j]) : 0, mag = abs(ref)
                    for p in 0..<k {
                        let av = Double(ta ? a[p * m + i] : a[i * k + p]), bv = Double(tb ? b[j * k + p] : b[p * n + j])
                        ref += av * bv
                        mag += abs(av * bv)
                    }
                    let v = Double(c[i * n + j])
                    if !v.isFinite || abs(v - ref) > 1e-5 * (mag + 1) { return false }
                }
            }
        }
        return true
    }
}

/// A small deterministic generator for self-checks (values in [-1, 1)).
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func nextFloat() -> Float { Float(next() >> 40) / Float(1 << 23) - 1 }
}
