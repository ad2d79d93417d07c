import MRCNNPluginAPI

/// The plugin API version this library was compiled against (the host refuses a mismatch before registering).
@_cdecl("mrcnn_plugin_api_version")
public func mrcnnPluginAPIVersion() -> Int32 {
    #if MRCNN_PLUGIN_FAKE_OLD_API
    return PluginABI.version + 100   // only for the host's refusal test
    #else
    return PluginABI.version
    #endif
}

/// Registers the `blur` stage in the host's registry.
@_cdecl("mrcnn_plugin_register")
public func mrcnnPluginRegister(_ registry: UnsafeRawPointer) {
    PluginABI.registry(from: registry).register("blur", requires: ["detector"],
                                                 summary: "blur the pixels of people (or --option blur-classes=…)") { context in
        let names = context.options["blur-classes"] ?? "person"
        var classes: Set<Int>? = nil
        if names != "all" {
            var ids = Set<Int>()
            for name in names.split(separator: ",") {
                guard let id = COCOCategories.names.firstIndex(of: String(name)) else {
                    throw StageError.invalidOption(key: "blur-classes", value: String(name))
                }
                ids.insert(id)
            }
            classes = ids
        }
        return BlurStage(classes: classes, radius: try context.int("blur-radius", default: 8))
    }
}
