import ArgumentParser

/// `mrcnn stages`: lists the registered stages, what they need earlier in a chain, and what they do.
struct StagesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stages", abstract: "List the available pipeline stages.")

    func run() {
        for entry in StageCatalog.makeRegistry().all {
            let requires = entry.requires.isEmpty ? "" : " (after \(entry.requires.joined(separator: ", ")))"
            print("\(entry.name)\(requires): \(entry.summary)")
        }
    }
}
