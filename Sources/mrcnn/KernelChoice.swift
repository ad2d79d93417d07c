import Foundation
import Tensor

/// Picks OpenBLAS's AVX-512 kernels for this process when the CPU has them, then proves they compute correctly.
///
/// OpenBLAS reads OPENBLAS_CORETYPE once, when the library loads, so switching means re-executing the binary with
/// the variable changed (and MRCNN_BLAS_CHECKED set, so it happens at most once). After the switch a self-check
/// compares sgemm on awkward shapes with a double-precision reference; on any mismatch the process re-executes
/// with the original kernels. `MRCNN_BLAS_CORE=env` keeps whatever the environment chose; `MRCNN_BLAS_CORE=NAME`
/// forces a core type.
enum KernelChoice {
    static let marker = "MRCNN_BLAS_CHECKED"

    static func prepare() {
        let env = ProcessInfo.processInfo.environment
        if env[marker] != nil {
            if env["OPENBLAS_CORETYPE"] != env["MRCNN_BLAS_ORIGINAL"], !selfCheckPasses() {
                StandardError.write("mrcnn: warning: OpenBLAS \(GEMM.coreName) kernels failed the self-check; using \(env["MRCNN_BLAS_ORIGINAL"] ?? "default")\n")
                reexec(core: env["MRCNN_BLAS_ORIGINAL"])
            }
            return
        }
        let request = env["MRCNN_BLAS_CORE"] ?? "auto"
        if request == "env" { return }
        let target = request == "auto" ? (cpuHasAVX512() ? "SkylakeX" : nil) : request
        guard let target, target != env["OPENBLAS_CORETYPE"] else { return }
        setenv("MRCNN_BLAS_ORIGINAL", env["OPENBLAS_CORETYPE"] ?? "", 1)
        reexec(core: target)
    }

    /// The AVX-512 subsets OpenBLAS's SkylakeX kernels use.
    static func cpuHasAVX512() -> Bool {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flags = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return false }
        let set = Set(flags.split(separator: " ").map(String.init))
        return ["avx512f", "avx512dq", "avx512bw", "avx512vl"].allSatisfy(set.contains)
    }

    private static func reexec(core: String?) {
        setenv(marker, "1", 1)
        if let core, !core.isEmpty { setenv("OPENBLAS_CORETYPE", core, 1) } else { unsetenv("OPENBLAS_CORETYPE") }
        let args = CommandLine.arguments
        var cargs: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) }
        cargs.append(nil)
        execv("/proc/self/exe", &cargs)
        // execv only returns on failure: carry on with the kernels already loaded.
    }

    /// sgemm on shapes with tails in every dimension and both transpositions, against a double reference.
    static func selfCheckPasses() -> Bool {
        var rng = SystemRandomNumberGenerator()
        for (m, n, k, ta, tb) in [(37, 129, 67, false, false), (256, 196, 2304, false, false), (91, 1001, 1024, false, true),
                                  (100, 33, 17, true, false), (1, 7, 300, false, false)] {
            let a = (0..<(m * k)).map { _ in Float.random(in: -1...1, using: &rng) }
            let b = (0..<(k * n)).map { _ in Float.random(in: -1...1, using: &rng) }
            var c = [Float](repeating: 0, count: m * n)
            a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
                GEMM.multiply(m: m, n: n, k: k, a: ap.baseAddress!, lda: ta ? m : k, transA: ta,
                              b: bp.baseAddress!, ldb: tb ? k : n, transB: tb, c: cp.baseAddress!, ldc: n)
            } } }
            for i in stride(from: 0, to: m, by: max(1, m / 9)) {
                for j in stride(from: 0, to: n, by: max(1, n / 11)) {
                    var ref = 0.0, mag = 0.0
                    for p in 0..<k {
                        let av = Double(ta ? a[p * m + i] : a[i * k + p]), bv = Double(tb ? b[j * k + p] : b[p * n + j])
                        ref += av * bv
                        mag += abs(av * bv)
                    }
                    if abs(Double(c[i * n + j]) - ref) > 1e-5 * (mag + 1) { return false }
                }
            }
        }
        return true
    }
}
