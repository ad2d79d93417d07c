import MRCNNPluginAPI

/// The `blur` stage's options, each declared once: typed, with its default, range and help.
enum BlurOptions {
    static let classes = OptionKey<Set<Int>?>.classes("classes", default: [1], help: "COCO classes to blur (names or ids), or all")
    static let radius = OptionKey<Int>.int("radius", default: 8, atLeast: 1, help: "box blur radius in pixels")
}

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
/// its options (listed by `mrcnn stages`, set with `--option blur.NAME=VALUE`, checked by the host before any stage
/// is built). It works on each frame alone.
@_cdecl("mrcnn_plugin_register")
public func mrcnnPluginRegister(_ registry: UnsafeRawPointer) {
    PluginABI.registry(from: registry).register(
        "blur", summary: "blur the pixels of people (or other classes) under their masks or boxes",
        needs: [.boxes], reads: [.masks], options: [BlurOptions.classes, BlurOptions.radius],
        traits: StageTraits(perFrame: true)
    ) { context in
        BlurStage(classes: try context[BlurOptions.classes], radius: try context[BlurOptions.radius])
    }
}
