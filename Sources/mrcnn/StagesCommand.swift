import ArgumentParser
import Job

/// `mrcnn stages`: lists the registered stages, what they need, read and provide, and every option they declare.
struct StagesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stages", abstract: "List the available pipeline stages and their options (set with --option STAGE.OPTION=VALUE).")

    @Option(name: .customLong("plugin"), help: "Also load the stages of this plugin (.so); repeatable.")
    var plugins: [String] = []

    func run() throws {
        try JobConsole.checked {
            StageCatalog.listing(try StageCatalog.makeRegistry(plugins: plugins, cache: ToolEnvironment.cacheDirectory)).forEach { print($0) }
        }
    }
}
