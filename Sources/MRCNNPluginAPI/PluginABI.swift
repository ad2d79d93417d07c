/// The contract between the mrcnn host and a runtime-loaded plugin (`mrcnn run --plugin PATH.so`).
///
/// A plugin is a shared library built against this package that exports two C symbols:
/// - `mrcnn_plugin_api_version() -> Int32`: return `PluginABI.version` (inlined into the plugin when it is built,
///   so the host can refuse a plugin built against another API version before touching any of its types);
/// - `mrcnn_plugin_register(UnsafeRawPointer)`: receives the host's `StageRegistry` (pass it to
///   `PluginABI.registry(from:)`) and registers the plugin's stages (name, capabilities, options, factory).
public enum PluginABI {
    /// Version of the types in this package; bumped on every incompatible change.
    @inlinable public static var version: Int32 { 5 }

    /// The symbol names the host looks up.
    public static let versionSymbol = "mrcnn_plugin_api_version"
    public static let registerSymbol = "mrcnn_plugin_register"

    /// The registry behind the opaque pointer the host passes to `mrcnn_plugin_register`.
    public static func registry(from pointer: UnsafeRawPointer) -> StageRegistry {
        Unmanaged<StageRegistry>.fromOpaque(pointer).takeUnretainedValue()
    }

    /// The opaque pointer the host passes for `registry` (valid while the host keeps the registry alive).
    public static func pointer(to registry: StageRegistry) -> UnsafeRawPointer {
        UnsafeRawPointer(Unmanaged.passUnretained(registry).toOpaque())
    }
}
