import Detector
import Foundation
import Pipeline
import PluginHost
import Renderer
import Tracker

/// The stages mrcnn knows by name: the built-in plugins' stages plus those of runtime plugins.
public enum StageCatalog {
    /// A registry with the built-in stages and the stages of the runtime plugins at `plugins` (paths to .so files);
    /// the model stages find unset weights in `cache`.
    public static func makeRegistry(plugins: [String] = [], cache: URL = ModelZoo.defaultCacheDirectory) throws -> StageRegistry {
        let registry = StageRegistry()
        DetectorPlugin.register(in: registry, cache: cache)
        TrackerPlugin.register(in: registry)
        RendererPlugin.register(in: registry)
        for path in plugins { try PluginLoader.load(path, into: registry) }
        return registry
    }
}

extension StageCatalog {
    /// `mrcnn stages`: each stage with what it needs, provides and reads, and every option it declares with its
    /// value shape, help, default and flag.
    public static func listing(_ registry: StageRegistry) -> [String] {
        var lines: [String] = []
        for entry in registry.all {
            let needs = entry.needs.isEmpty ? "" : " (needs \(entry.needs.map(\.name).joined(separator: ", ")))"
            lines.append("\(entry.name)\(needs): \(entry.summary)")
            var flow: [String] = []
            if !entry.provides.isEmpty { flow.append("provides \(entry.provides.map(\.name).joined(separator: ", "))") }
            if !entry.reads.isEmpty { flow.append("reads \(entry.reads.map(\.name).joined(separator: ", ")) when present") }
            if !flow.isEmpty { lines.append("    " + flow.joined(separator: "; ")) }
            let keys = entry.options.map { "\(entry.name).\($0.name)=\($0.valueName)" }
            let width = keys.map(\.count).max() ?? 0
            for (key, option) in zip(keys, entry.options) {
                let flag = option.flag.map { ", or --\($0.name)" + ($0.switchValue.map { " (sets \($0))" } ?? "") } ?? ""
                lines.append("    --option \(key.padding(toLength: width, withPad: " ", startingAt: 0))  \(option.help) (default: \(option.defaultText)\(flag))")
            }
        }
        return lines
    }
}
