import Detector
import Pipeline
import Renderer
import Tracker

/// The stages the command-line tool knows, by name; each plugin registers its own.
enum StageCatalog {
    /// The built-in stages plus those of the runtime plugins at `plugins` (paths to .so files).
    static func makeRegistry(plugins: [String] = []) throws -> StageRegistry {
        let registry = StageRegistry()
        DetectorPlugin.register(in: registry)
        TrackerPlugin.register(in: registry)
        RendererPlugin.register(in: registry)
        for path in plugins { try PluginLoader.load(path, into: registry) }
        return registry
    }
}
