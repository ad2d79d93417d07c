#if canImport(Glibc)
import Glibc
#endif
import CDNNL

/// The CPU's vector and matrix features, read once at run time from /proc/cpuinfo's flags and oneDNN's ISA query.
public struct CPUFeatures: Sendable {
    public let flags: Set<String>
    /// oneDNN's most capable ISA on this CPU, e.g. "avx2", "avx512_core_bf16", "avx512_core_amx".
    public let onednnISA: String

    public static let current = CPUFeatures()

    init() {
        var flags = Set<String>()
        if let f = fopen("/proc/cpuinfo", "r") {
            defer { fclose(f) }
            var line: UnsafeMutablePointer<CChar>? = nil
            var cap = 0
            while getline(&line, &cap, f) > 0 {
                let s = String(cString: line!)
                if s.hasPrefix("flags") || s.hasPrefix("Features") {
                    flags = Set(s.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == ":" }).map(String.init))
                    break
                }
            }
            free(line)
        }
        self.flags = flags
        switch dnnl_get_effective_cpu_isa() {
        case dnnl_cpu_isa_avx512_core_amx: onednnISA = "avx512_core_amx"
        case dnnl_cpu_isa_avx512_core_bf16: onednnISA = "avx512_core_bf16"
        case dnnl_cpu_isa_avx512_core_vnni: onednnISA = "avx512_core_vnni"
        case dnnl_cpu_isa_avx512_core: onednnISA = "avx512_core"
        case dnnl_cpu_isa_avx2_vnni: onednnISA = "avx2_vnni"
        case dnnl_cpu_isa_avx2: onednnISA = "avx2"
        case dnnl_cpu_isa_avx: onednnISA = "avx"
        case dnnl_cpu_isa_sse41: onednnISA = "sse41"
        default: onednnISA = "other"
        }
    }

    public var hasAVX2: Bool { flags.contains("avx2") && flags.contains("fma") }
    public var hasAVX512: Bool { ["avx512f", "avx512dq", "avx512bw", "avx512vl"].allSatisfy(flags.contains) }
    public var hasAVX512BF16: Bool { flags.contains("avx512_bf16") }
    public var hasAMX: Bool { flags.contains("amx_bf16") && flags.contains("amx_tile") }
    /// bf16 matrix units oneDNN 2.6 has kernels for: AMX or AVX512-BF16 (and oneDNN agrees).
    public var hasBF16Units: Bool {
        (hasAMX || hasAVX512BF16) && (onednnISA == "avx512_core_bf16" || onednnISA == "avx512_core_amx")
    }

    /// What `mrcnn --version` says of the compute engine in use on this CPU: the sgemm kernels, oneDNN's ISA and
    /// the layers' engine, then the CPU's vector features (two lines).
    public static var engineLines: [String] {
        ["compute: sgemm \(GEMM.kernels); oneDNN ISA \(current.onednnISA); layers \(ComputeEngine(backend: .auto, precision: .fp32).description)",
         "cpu: \(current.summary)"]
    }

    /// e.g. "AVX2+FMA, oneDNN ISA avx2".
    public var summary: String {
        var parts: [String] = []
        if hasAMX { parts.append("AMX") }
        if hasAVX512BF16 { parts.append("AVX512-BF16") }
        if hasAVX512 { parts.append("AVX-512") }
        if hasAVX2 { parts.append("AVX2+FMA") }
        if parts.isEmpty { parts.append("no AVX2") }
        return parts.joined(separator: ", ") + ", oneDNN ISA \(onednnISA)"
    }
}
