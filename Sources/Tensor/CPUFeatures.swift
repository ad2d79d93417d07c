#if canImport(Glibc)
import Glibc
#endif
import CDNNL

/// The CPU's vector and matrix features and model, read once at run time from /proc/cpuinfo and oneDNN's ISA query.
public struct CPUFeatures: Sendable {
    public let flags: Set<String>
    /// oneDNN's most capable ISA on this CPU, e.g. "avx2", "avx512_core_bf16", "avx512_core_amx" (capped by
    /// DNNL_MAX_CPU_ISA when that is set).
    public let onednnISA: String
    /// /proc/cpuinfo's "model name", e.g. "AMD EPYC 9B14".
    public let modelName: String
    /// "family 25 model 17 stepping 1" (the numbers /proc/cpuinfo gives).
    public let modelID: String

    public static let current = CPUFeatures()

    /// Features as given (another CPU's, for decisions tested by property).
    public init(flags: Set<String>, onednnISA: String, modelName: String = "given CPU", modelID: String = "given") {
        (self.flags, self.onednnISA, self.modelName, self.modelID) = (flags, onednnISA, modelName, modelID)
    }

    init() {
        var fields: [String: String] = [:]
        if let f = fopen("/proc/cpuinfo", "r") {
            defer { fclose(f) }
            var line: UnsafeMutablePointer<CChar>? = nil
            var cap = 0
            // The first processor's block: up to its empty line.
            while getline(&line, &cap, f) > 0 {
                let s = String(cString: line!)
                if s == "\n" { break }
                guard let colon = s.firstIndex(of: ":") else { continue }
                let key = s[..<colon].trimmingCharacters(in: " \t"), value = s[s.index(after: colon)...].trimmingCharacters(in: " \t\n")
                if fields[key] == nil { fields[key] = value }
            }
            free(line)
        }
        flags = Set((fields["flags"] ?? fields["Features"] ?? "").split(separator: " ").map(String.init))
        modelName = fields["model name"] ?? fields["CPU part"] ?? "unknown CPU"
        modelID = "family \(fields["cpu family"] ?? "?") model \(fields["model"] ?? "?") stepping \(fields["stepping"] ?? "?")"
        onednnISA = String(cString: mrcnn_effective_isa())
    }

    public var hasAVX2: Bool { flags.contains("avx2") && flags.contains("fma") }
    public var hasAVX512: Bool { ["avx512f", "avx512dq", "avx512bw", "avx512vl"].allSatisfy(flags.contains) }
    public var hasAVX512BF16: Bool { flags.contains("avx512_bf16") }
    public var hasAMX: Bool { flags.contains("amx_bf16") && flags.contains("amx_tile") }
    /// bf16 matrix units oneDNN has kernels for: AMX or AVX512-BF16 (and oneDNN agrees).
    public var hasBF16Units: Bool {
        (hasAMX || hasAVX512BF16) && (onednnISA.hasPrefix("avx512_core_bf16") || onednnISA.hasPrefix("avx512_core_amx")
                                      || onednnISA == "avx512_core_fp16")
    }

    /// Whether oneDNN's int8 kernels multiply u8 × s8 pairs into s32 without an intermediate 16-bit sum (VNNI, AMX):
    /// without, oneDNN halves the s8 weights (7 bits left) so that the 16-bit pair sums cannot saturate.
    public var hasInt8DotProducts: Bool {
        ["vnni", "bf16", "amx", "fp16"].contains { onednnISA.contains($0) }
    }
    public var hasVNNI: Bool { flags.contains("avx512_vnni") || flags.contains("avx_vnni") || flags.contains("amx_int8") }

    /// What `mrcnn --version` says of the compute engine in use on this CPU: the sgemm kernels, oneDNN's ISA and
    /// the layers' engine (with the kernel choices `planCache` keeps for this CPU), then the CPU's vector features
    /// (two lines).
    public static func engineLines(planCache: KernelPlanCache? = nil) -> [String] {
        let engine = ComputeEngine(backend: .auto, precision: .fp32, planCache: planCache)
        return ["compute: sgemm \(GEMM.kernels); oneDNN ISA \(current.onednnISA); layers \(engine.description)",
                "cpu: \(current.summary)"]
    }

    /// e.g. "AVX2+FMA, oneDNN ISA avx2".
    public var summary: String {
        var parts: [String] = []
        if hasAMX { parts.append("AMX") }
        if hasAVX512BF16 { parts.append("AVX512-BF16") }
        if hasVNNI { parts.append("VNNI") }
        if hasAVX512 { parts.append("AVX-512") }
        if hasAVX2 { parts.append("AVX2+FMA") }
        if parts.isEmpty { parts.append("no AVX2") }
        return parts.joined(separator: ", ") + ", oneDNN ISA \(onednnISA)"
    }
}

private extension Substring {
    func trimmingCharacters(in set: String) -> String {
        var s = self
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
