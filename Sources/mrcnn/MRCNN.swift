import ArgumentParser
import ModelZoo
import Tensor

/// The `mrcnn` root command: only dispatches to subcommands (each in its own file).
@main
struct MRCNN: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mrcnn",
        abstract: "Mask R-CNN on video, on the CPU: detect, segment and annotate every frame.",
        discussion: "mrcnn --version prints the version, the commit and the compute kernels in use on this CPU.",
        subcommands: [RunCommand.self, RenderCommand.self, DetectCommand.self, CalibrateCommand.self, CompareCommand.self, BenchCommand.self, StagesCommand.self, WeightsCommand.self],
        defaultSubcommand: nil)

    /// Tunes the allocator before any command runs (the Tensor library chooses and checks its kernels itself).
    static func main() async {
        // `--version` only: the version, the commit and the compute engine in use (ArgumentParser's own version
        // string would measure the compute engine on every launch).
        if Array(CommandLine.arguments.dropFirst()) == ["--version"] {
            print(VersionText.text)
            return
        }
        MemoryTuning.keepLargeAllocations()
        let arguments: [String]
        do { arguments = try expandFlags(Array(CommandLine.arguments.dropFirst())) } catch {
            StandardError.report(error)
            exit(withError: ExitCode.failure)
        }
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }

    /// The arguments with the stages' generated flags of the subcommand rewritten (see `ShorthandFlags`).
    static func expandFlags(_ arguments: [String]) throws -> [String] {
        let flags: [String: ShorthandFlags] = ["run": RunCommand.flags, "detect": DetectCommand.flags, "render": RenderCommand.flags,
                                             "bench": BenchCommand.flags, "calibrate": CalibrateCommand.flags]
        guard let name = arguments.first, let table = flags[name] else { return arguments }
        return [name] + (try table.expand(Array(arguments.dropFirst())))
    }
}

/// What `mrcnn --version` prints: the version, the commit it was built from (stamped at build time), and
/// the compute engine on this CPU (sgemm kernels, oneDNN's ISA, the kernel choices measured here, vector features).
enum VersionText {
    static let version = "0.4.0"

    static var text: String {
        let kept = KernelPlanCache.at(ModelLoader.kernelCacheDirectory(in: ToolEnvironment.cacheDirectory))
        return (["mrcnn \(version) (\(commit))"] + CPUFeatures.engineLines(planCache: kept)).joined(separator: "\n")
    }

    /// The commit stamped at build time (see BuildPlugins/CommitStamp), or "commit unknown" outside a git checkout.
    static var commit: String { BuildStamp.commit.map { "commit \($0)" } ?? "commit unknown" }
}
