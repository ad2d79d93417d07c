import Tensor
import Testing

/// What `--precision auto` resolves to rests on the CPU's documented features and on whether an int8 calibration is
/// at hand, never on one CPU's name: checked on the features of every CPU CI runs on.
@Suite struct AutomaticPrecisionTests {
    static let avx2 = CPUFeatures(flags: ["avx2", "fma"], onednnISA: "avx2")
    static let zen4 = CPUFeatures(flags: ["avx2", "fma", "avx512f", "avx512dq", "avx512bw", "avx512vl", "avx512_bf16", "avx512_vnni"],
                                  onednnISA: "avx512_core_bf16")
    static let amx = CPUFeatures(flags: ["avx2", "fma", "avx512f", "avx512dq", "avx512bw", "avx512vl", "avx512_bf16", "amx_bf16", "amx_tile", "amx_int8"],
                                 onednnISA: "avx512_core_amx")

    @Test("without bf16 units auto is int8 when a calibration is at hand, else fp32; with them bf16")
    func autoFollowsBF16UnitsAndCalibration() {
        #expect(Precision.automatic(calibrated: false, cpu: Self.avx2) == .fp32)
        #expect(Precision.automatic(calibrated: true, cpu: Self.avx2) == .int8)
        for cpu in [Self.zen4, Self.amx] {
            #expect(Precision.automatic(calibrated: false, cpu: cpu) == .bf16)
            #expect(Precision.automatic(calibrated: true, cpu: cpu) == .bf16)
        }
        // This CPU, by its properties.
        let here = CPUFeatures.current
        #expect(Precision.automatic(calibrated: true) == (here.hasBF16Units ? .bf16 : .int8))
        #expect(Precision.automatic == (here.hasBF16Units ? .bf16 : .fp32))
    }

    @Test("the reason names the bf16 units and, without them, whether a calibration is at hand")
    func reasonSaysWhy() {
        #expect(Precision.automaticReason(calibrated: false, cpu: Self.avx2).hasSuffix("and no int8 calibration is at hand"))
        let int8 = Precision.automaticReason(calibrated: true, cpu: Self.avx2)
        #expect(int8.hasPrefix("this CPU has no bf16 units (AVX2+FMA, oneDNN ISA avx2) and an int8 calibration is at hand"))
        #expect(int8.contains("2×"), "AVX2 without VNNI: 16-bit pair sums")
        #expect(Precision.automaticReason(calibrated: true, cpu: Self.zen4).hasPrefix("this CPU has bf16 units"))
        // The same Zen 4 with oneDNN capped at AVX2 (DNNL_MAX_CPU_ISA): its bf16 units exist but are not used.
        let capped = CPUFeatures(flags: Self.zen4.flags, onednnISA: "avx2")
        #expect(Precision.automatic(calibrated: true, cpu: capped) == .int8)
        #expect(Precision.automaticReason(calibrated: true, cpu: capped).hasPrefix("this CPU's bf16 units are out of oneDNN's reach"))
    }
}
