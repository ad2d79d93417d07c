import ArgumentParser
import Job
import Pipeline

/// `mrcnn stages`: lists the registered stages, what they need, read and provide, and every option they declare.
struct StagesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stages", abstract: "List the available pipeline stages and their options (set with --option STAGE.OPTION=VALUE).")

    @Option(name: .customLong("plugin"), help: "Also load the stages of this plugin (.so); repeatable.")
    var plugins: [String] = []

    func run() throws {
        try JobConsole.reportingErrors {
            for entry in try StageCatalog.makeRegistry(plugins: plugins).all {
                let needs = entry.needs.isEmpty ? "" : " (needs \(entry.needs.map(\.name).joined(separator: ", ")))"
                print("\(entry.name)\(needs): \(entry.summary)")
                var flow: [String] = []
                if !entry.provides.isEmpty { flow.append("provides \(entry.provides.map(\.name).joined(separator: ", "))") }
                if !entry.reads.isEmpty { flow.append("reads \(entry.reads.map(\.name).joined(separator: ", ")) when present") }
                if !flow.isEmpty { print("    " + flow.joined(separator: "; ")) }
                let width = entry.options.map { $0.name.count + entry.name.count + $0.kind.rawValue.count + 2 }.max() ?? 0
                for option in entry.options {
                    let key = "\(entry.name).\(option.name)=\(option.kind.rawValue.uppercased())"
                    print("    --option \(key.padding(toLength: width, withPad: " ", startingAt: 0))  \(option.help) (default: \(option.defaultValue ?? "unset"))")
                }
            }
        }
    }
}
