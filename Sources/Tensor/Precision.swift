/// Arithmetic of the convolutions and linear layers. `fp32`: parity with torchvision. `bf16`: oneDNN's bf16 kernels
/// (AMX or AVX512-BF16; fp32 accumulation, activations stored as bf16 where only a convolution reads them, fp32 where
/// they are summed or pooled by RoIAlign and from the decision layers — box predictor, mask and keypoint logits, RPN
/// objectness and deltas), each layer on the faster of the fp32 and bf16 candidates measured on this CPU
/// (`KernelPolicy`); fp32 with one warning where the CPU has no bf16 units. `bf16-emulated`: the same layers with
/// every bf16 operand and every bf16 store rounded to bf16 (round to nearest even) and fp32 kernels computing — the
/// numbers of bf16 on any CPU, for accuracy tests and comparisons. `int8`: the convolutions (the stem too when the
/// calibration has it) that are not decision layers on oneDNN's int8 kernels with the scales of an `Int8Calibration`
/// (any x86 CPU: VNNI or AMX where it has them), the rest fp32.
public enum Precision: String, Sendable, CaseIterable {
    case fp32, bf16
    case bf16Emulated = "bf16-emulated"
    case int8

    /// What `auto` means on this CPU without an int8 calibration at hand (`automatic(calibrated:)`).
    public static var automatic: Precision { automatic(calibrated: false) }

    /// What `auto` means on `cpu`: bf16 where it has bf16 units (its accuracy is bounded by the bf16 accuracy test);
    /// else int8 when a calibration is at hand — int8 dot products multiply 4× fp32's pairs per instruction with VNNI
    /// or AMX and 2× with AVX2's 16-bit pair sums, on a quarter of the bytes (measured 1.8–1.9× fp32 end to end on a
    /// VNNI CPU, Benchmarks/README.md); else fp32.
    public static func automatic(calibrated: Bool, cpu: CPUFeatures = .current) -> Precision {
        cpu.hasBF16Units ? .bf16 : calibrated ? .int8 : .fp32
    }

    /// Why `auto` chooses what it chooses on `cpu`, e.g. "this CPU has no bf16 units (AVX2+FMA, oneDNN ISA avx2) and
    /// no int8 calibration is at hand".
    public static func automaticReason(calibrated: Bool, cpu: CPUFeatures = .current) -> String {
        let capped = !cpu.hasBF16Units && (cpu.hasAMX || cpu.hasAVX512BF16)
        let units = capped ? "this CPU's bf16 units are out of oneDNN's reach (\(cpu.summary): DNNL_MAX_CPU_ISA caps it)"
                           : "this CPU has \(cpu.hasBF16Units ? "" : "no ")bf16 units (\(cpu.summary))"
        if cpu.hasBF16Units { return units }
        return units + (calibrated ? " and an int8 calibration is at hand (int8 dot products: \(cpu.hasInt8DotProducts ? "4×" : "2×") fp32's multiplies per instruction)"
                                   : " and no int8 calibration is at hand")
    }

    /// `automaticReason(calibrated: false)`.
    public static var automaticReason: String { automaticReason(calibrated: false) }

    /// A precision by its command-line name: fp32, bf16, bf16-emulated, or auto (`automatic`); nil for others.
    public static func named(_ name: String) -> Precision? {
        name == "auto" ? automatic : Precision(rawValue: name)
    }

    /// The precision that runs when this one is asked for: bf16 is fp32 on a CPU without bf16 units.
    public var effective: Precision { self == .bf16 && !CPUFeatures.current.hasBF16Units ? .fp32 : self }
}
