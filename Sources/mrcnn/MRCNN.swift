import ArgumentParser

/// The `mrcnn` root command: only dispatches to subcommands (each in its own file).
@main
struct MRCNN: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mrcnn",
        abstract: "Mask R-CNN on video, on the CPU: detect, segment and annotate every frame.",
        subcommands: [RunCommand.self, DetectCommand.self, BenchCommand.self, StagesCommand.self],
        defaultSubcommand: nil)
}
