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
