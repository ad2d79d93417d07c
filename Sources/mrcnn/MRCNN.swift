import ArgumentParser
import Tensor

/// The `mrcnn` root command: only dispatches to subcommands (each in its own file).
@main
struct MRCNN: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mrcnn",
        abstract: "Mask R-CNN on video, on the CPU: detect, segment and annotate every frame.",
        discussion: "mrcnn --version prints the version, the commit and the compute kernels in use on this CPU.",
        subcommands: [RunCommand.self, RenderCommand.self, DetectCommand.self, BenchCommand.self, StagesCommand.self, WeightsCommand.self],
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
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
