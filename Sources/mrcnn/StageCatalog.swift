import Detector
import Pipeline
import Renderer
import Tracker

/// The stages the command-line tool knows, by name; each plugin registers its own.
enum StageCatalog {
    static func makeRegistry() -> StageRegistry {
        let registry = StageRegistry()
        DetectorPlugin.register(in: registry)
        TrackerPlugin.register(in: registry)
        RendererPlugin.register(in: registry)
        return registry
    }
}
