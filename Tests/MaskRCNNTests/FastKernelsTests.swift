import Checkpoint
import Foundation
import MaskRCNN
import Tensor
import Testing

/// A program that links `MaskRCNN` (this test process, not the CLI: no re-exec, no environment set) runs on verified
/// kernels that fit the CPU: sgemm from a library that passed its self-check and is never OpenBLAS's weak fallback
/// core (Prescott, Nehalem, …) on an AVX2 / AVX-512 machine; oneDNN kernels generated for the CPU's widest vector
/// ISA (or the one `DNNL_MAX_CPU_ISA` caps it to), never reference C loops. Checked by property, not by one CPU's
/// spelling: oneDNN names its kernels `jit:avx2`, `brgconv:avx512_core`, `brgconv_1x1:avx512_core_bf16`,
/// `brg:avx512_core_amx`, `gemm:jit`, … Prints which kernels every layer kind got.
@Suite struct FastKernelsTests {
    @Test func aModelLinkedAsALibraryRunsOnVerifiedFastKernels() throws {
        let model = try MaskRCNN(stateDict: SeededWeights.stateDict(layout: MaskRCNNLayout.parameters(), seed: 0))
        let cpu = CPUFeatures.current, sgemm = SGEMMKernels.chosen
        print("MaskRCNN linked as a library on \(cpu.summary): sgemm \(GEMM.kernels); OpenBLAS loaded \(sgemm.openblasCore); "
              + "\(ComputePool.threads) compute threads; engine \(model.options.engine)")
        for s in model.kernels.summary { print("  \(s.layers) layers on \(s.implementation)") }

        #expect(sgemm.verified, "sgemm self-check failed: \(GEMM.kernels)")
        if sgemm.library == .openblas {
            #expect(sgemm.openblasCoreFits, "OpenBLAS \(sgemm.openblasCore) kernels are weak for \(cpu.summary)")
        }
        let family = OneDNNKernelNames.expectedFamily(cpu)
        #expect(OneDNNKernelNames.family(of: cpu.onednnISA) == family, "oneDNN runs \(cpu.onednnISA); expected \(family) kernels")
        for l in model.kernels.layers where l.implementation.hasPrefix("oneDNN") {
            let name = OneDNNKernelNames.kernel(in: l.implementation)
            #expect(!OneDNNKernelNames.isReference(name), "\(l.name): a reference kernel, \(l.implementation)")
            if let isa = OneDNNKernelNames.isa(in: name) {
                #expect(OneDNNKernelNames.family(of: isa) == family, "\(l.name): \(isa) kernel on a CPU for \(family), \(l.implementation)")
            }
        }
        #expect(model.kernels.layers.count == 53 + 8 + 3 + 4 + 6)
    }

    /// The kernels compute right: a 3×3 convolution (im2col + sgemm, Winograd-free) and a linear layer on both
    /// backends against a double-precision reference.
    @Test(arguments: [ComputeBackend.openblas, .onednn])
    func kernelsComputeTheRightNumbers(backend: ComputeBackend) {
        var seed: UInt64 = 0x9E37_79B9
        func next() -> Float {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Int64(bitPattern: seed >> 11) % 2001 - 1000) / 1000
        }
        let engine = ComputeEngine(backend: backend, precision: .fp32)
        let (cin, cout, h, w) = (19, 13, 9, 11)
        let weights = (0..<(cout * cin * 9)).map { _ in next() }, bias = (0..<cout).map { _ in next() }
        let x = Tensor(shape: [2, cin, h, w], data: (0..<(2 * cin * h * w)).map { _ in next() })
        let conv = Conv2D(weight: weights, bias: bias, outChannels: cout, inChannels: cin, kernel: 3, padding: 1, allowWinograd: false,
                          engine: engine)
        let y = conv(x, workspace: Workspace())
        var worst = 0.0
        for n in 0..<2 { for o in 0..<cout { for oy in 0..<h { for ox in 0..<w {
            var ref = Double(bias[o]), mag = abs(ref)
            for c in 0..<cin { for ky in 0..<3 { for kx in 0..<3 {
                let iy = oy + ky - 1, ix = ox + kx - 1
                guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                let p = Double(weights[((o * cin + c) * 3 + ky) * 3 + kx]) * Double(x.data[((n * cin + c) * h + iy) * w + ix])
                ref += p
                mag += abs(p)
            } } }
            worst = max(worst, abs(Double(y.data[((n * cout + o) * h + oy) * w + ox]) - ref) / (mag + 1))
        } } } }
        #expect(worst < 1e-5, "\(conv.implementation): relative error \(worst)")

        let (inF, outF, rows) = (300, 37, 5)
        let lw = (0..<(outF * inF)).map { _ in next() }, lb = (0..<outF).map { _ in next() }
        let lx = Tensor(shape: [rows, inF], data: (0..<(rows * inF)).map { _ in next() })
        let linear = Linear(weight: lw, bias: lb, inFeatures: inF, outFeatures: outF, engine: engine)
        let ly = linear(lx)
        var worstLinear = 0.0
        for r in 0..<rows { for j in 0..<outF {
            var ref = Double(lb[j]), mag = abs(ref)
            for i in 0..<inF { let p = Double(lw[j * inF + i]) * Double(lx.data[r * inF + i]); ref += p; mag += abs(p) }
            worstLinear = max(worstLinear, abs(Double(ly.data[r * outF + j]) - ref) / (mag + 1))
        } }
        #expect(worstLinear < 1e-5, "\(linear.implementation): relative error \(worstLinear)")
    }
}

/// Reading oneDNN's implementation names (`impl_info_str`): "<algorithm>:<ISA or jit>", e.g. "jit:avx2",
/// "brgconv_1x1:avx512_core_bf16", "brg:avx512_core_amx", "gemm:jit"; reference kernels are "ref:any", "gemm:ref", ….
enum OneDNNKernelNames {
    /// The oneDNN name inside one of our implementation strings ("oneDNN brgconv:avx512_core (1×1 to …)").
    static func kernel(in implementation: String) -> String {
        let rest = implementation.dropFirst("oneDNN ".count)
        return String(rest.prefix { $0 != " " && $0 != ";" })
    }

    static func isReference(_ name: String) -> Bool {
        name.split(whereSeparator: { $0 == ":" || $0 == "_" }).contains { $0 == "ref" }
    }

    /// The ISA a kernel name states, if any ("avx512_core_bf16" of "brgconv:avx512_core_bf16"; nil for "gemm:jit").
    static func isa(in name: String) -> String? {
        guard let colon = name.lastIndex(of: ":") else { return nil }
        let isa = String(name[name.index(after: colon)...])
        return ["sse41", "avx", "avx2", "avx512"].contains(where: { isa.hasPrefix($0) }) ? isa : nil
    }

    /// The vector family of an ISA name: "avx512" (avx512_core, _vnni, _bf16, _amx), "avx2" (avx2, avx2_vnni), or the name.
    static func family(of isa: String) -> String {
        let isa = isa.lowercased()
        if isa.hasPrefix("avx512") { return "avx512" }
        if isa.hasPrefix("avx2") { return "avx2" }
        return isa
    }

    /// The family oneDNN should generate for: the CPU's widest, unless `DNNL_MAX_CPU_ISA` / `ONEDNN_MAX_CPU_ISA` caps it.
    static func expectedFamily(_ cpu: CPUFeatures) -> String {
        let widest = cpu.hasAVX512 ? "avx512" : cpu.hasAVX2 ? "avx2" : cpu.onednnISA
        let env = ProcessInfo.processInfo.environment
        guard let cap = env["DNNL_MAX_CPU_ISA"] ?? env["ONEDNN_MAX_CPU_ISA"], !cap.isEmpty, cap.uppercased() != "ALL" else { return widest }
        let capped = family(of: cap)
        return widest == "avx512" || capped != "avx512" ? capped : widest
    }
}
