import Foundation
import Tensor

/// What `mrcnn --version` prints: the version, the commit it was built from (when built from a git checkout), and
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

    /// `git rev-parse --short HEAD` of the source tree this binary was compiled from, or "commit unknown".
    static var commit: String {
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        process.arguments = ["-C", source.path, "rev-parse", "--short", "HEAD"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return "commit unknown" }
        process.waitUntilExit()
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return process.terminationStatus == 0 && !out.isEmpty ? "commit \(out)" : "commit unknown"
    }
}
