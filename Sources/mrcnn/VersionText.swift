import Tensor

/// What `mrcnn --version` prints: the version, the commit it was built from (stamped at build time), and
/// the compute engine in use on this CPU (sgemm kernels, oneDNN's ISA, the CPU's vector features).
enum VersionText {
    static let version = "0.4.0"

    static var text: String {
        let cpu = CPUFeatures.current
        return """
        mrcnn \(version) (\(commit))
        compute: sgemm \(GEMM.kernels); oneDNN ISA \(cpu.onednnISA); layers \(ComputeEngine(backend: .auto, precision: .fp32).description)
        cpu: \(cpu.summary)
        """
    }

    /// The commit stamped at build time (see BuildPlugins/CommitStamp), or "commit unknown" outside a git checkout.
    static var commit: String { BuildStamp.commit.map { "commit \($0)" } ?? "commit unknown" }
}
