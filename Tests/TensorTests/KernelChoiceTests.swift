import Testing
import Tensor

/// A program that links the Tensor library (not the CLI) gets verified sgemm kernels that fit the CPU: never
/// OpenBLAS's weak fallback cores (Prescott, Nehalem, …) on an AVX2 or AVX-512 machine.
@Suite struct KernelChoiceTests {
    @Test func sgemmKernelsAreVerifiedAndFitTheCPU() {
        let k = SGEMMKernels.chosen
        print("sgemm: \(GEMM.kernels); CPU: \(CPUFeatures.current.summary); OpenBLAS loaded \(k.openblasCore)")
        #expect(k.verified, "sgemm self-check failed: \(GEMM.kernels)")
        if k.library == .openblas {
            #expect(k.openblasCoreFits, "OpenBLAS \(k.openblasCore) is a weak core for \(CPUFeatures.current.summary)")
        }
    }

    @Test func weakOpenBLASCoresAreRecognised() {
        let cpu = CPUFeatures.current
        guard cpu.hasAVX2 else { return }
        for weak in ["Prescott", "Nehalem", "Core2", "Sandybridge", "Barcelona"] {
            #expect(!SGEMMKernels.coreFits(weak, cpu: cpu), "\(weak) counted as fitting \(cpu.summary)")
        }
        #expect(SGEMMKernels.coreFits(cpu.hasAVX512 ? "SkylakeX" : "Haswell", cpu: cpu))
    }

    @Test func gemmProductIsRight() {
        // 3×2 · 2×2 with a known answer, through whichever library was chosen.
        let a: [Float] = [1, 2, 3, 4, 5, 6], b: [Float] = [1, 0, 1, 1]
        var c = [Float](repeating: 0, count: 6)
        a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
            GEMM.multiply(m: 3, n: 2, k: 2, a: ap.baseAddress!, lda: 2, b: bp.baseAddress!, ldb: 2, c: cp.baseAddress!, ldc: 2)
        } } }
        #expect(c == [3, 2, 7, 4, 11, 6])
    }

    /// `mrcnn bench`'s yardstick: a rate, whatever the machine's load (only its sign is checked).
    @Test func measuredSGEMMRateIsPositive() {
        let rate = GEMM.measuredRate(repeats: 1)
        #expect(rate.isFinite && rate > 0)
    }
}
