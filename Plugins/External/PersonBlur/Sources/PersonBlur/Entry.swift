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

/// Registers the `blur` stage in the host's registry: it needs boxes, reads masks when there are any, and declares
/// its options (listed by `mrcnn stages`, set with `--option blur.NAME=VALUE`).
@_cdecl("mrcnn_plugin_register")
public func mrcnnPluginRegister(_ registry: UnsafeRawPointer) {
    PluginABI.registry(from: registry).register(
        "blur", summary: "blur the pixels of people (or other classes) under their masks or boxes",
        needs: [.boxes], reads: [.masks],
        options: [.string("classes", default: "person", help: "comma-separated COCO class names, or all"),
                  .int("radius", default: 8, help: "box blur radius in pixels")]
    ) { context in
        let names = context.string("classes") ?? "person"
        var classes: Set<Int>? = nil
        if names != "all" {
            var ids = Set<Int>()
            for name in names.split(separator: ",") {
                guard let id = COCOCategories.names.firstIndex(of: String(name)) else {
                    throw StageError.invalidOption(key: "blur.classes", value: String(name), expected: "COCO class names or all")
                }
                ids.insert(id)
            }
            classes = ids
        }
        return BlurStage(classes: classes, radius: try context.int("radius"))
    }
}
