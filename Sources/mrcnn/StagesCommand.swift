import ArgumentParser
import Pipeline

/// `mrcnn stages`: lists the registered stages, what they need earlier in a chain, and what they do.
struct StagesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stages", abstract: "List the available pipeline stages.")

    @Option(name: .customLong("plugin"), help: "Also load the stages of this plugin (.so); repeatable.")
    var plugins: [String] = []

    func run() throws {
        let registry: StageRegistry
        do {
            registry = try StageCatalog.makeRegistry(plugins: plugins)
        } catch {
            StandardError.report(error)
            throw ExitCode.failure
        }
        for entry in registry.all {
            let requires = entry.requires.isEmpty ? "" : " (after \(entry.requires.joined(separator: ", ")))"
            print("\(entry.name)\(requires): \(entry.summary)")
        }
    }
}
