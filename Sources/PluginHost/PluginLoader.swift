import Foundation
import Synchronization
import Pipeline

#if canImport(Glibc)
import Glibc
#endif

/// Loads third-party stages from shared libraries built against the MRCNNPluginAPI package (see PluginABI):
/// checks the file and who could have written it (`PluginTrust`), the exported API version, then lets the plugin register its stages. One-line `PluginLoadError`s.
/// Thread-safe.
public enum PluginLoader {
    /// Handles of loaded libraries stay open for the life of the process (their code backs registered stages).
    nonisolated(unsafe) private static var handles: [String: UnsafeMutableRawPointer] = [:]
    private static let lock = Mutex(())

    /// Loads the plugin at `path` (once per process) and lets it register its stages in `registry`.
    public static func load(_ path: String, into registry: StageRegistry) throws {
        guard FileManager.default.fileExists(atPath: path) else { throw PluginLoadError(path: path, reason: "no such file") }
        guard isSharedLibrary(path) else { throw PluginLoadError(path: path, reason: "not a shared library (expected an ELF .so)") }
        try PluginTrust.check(path)
        try lock.withLock { _ in
            let handle: UnsafeMutableRawPointer
            if let h = handles[path] {
                handle = h
            } else {
                guard let h = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
                    throw PluginLoadError(path: path, reason: "cannot load: \(String(cString: dlerror()))")
                }
                handle = h
                handles[path] = h
            }
            guard let versionSymbol = dlsym(handle, PluginABI.versionSymbol) else {
                throw PluginLoadError(path: path, reason: "missing symbol \(PluginABI.versionSymbol) (not an mrcnn plugin)")
            }
            typealias VersionFunction = @convention(c) () -> Int32
            let version = unsafeBitCast(versionSymbol, to: VersionFunction.self)()
            guard version == PluginABI.version else {
                throw PluginLoadError(path: path, reason: "built for plugin API version \(version), this mrcnn has version \(PluginABI.version); rebuild the plugin against this release")
            }
            guard let registerSymbol = dlsym(handle, PluginABI.registerSymbol) else {
                throw PluginLoadError(path: path, reason: "missing symbol \(PluginABI.registerSymbol) (not an mrcnn plugin)")
            }
            typealias RegisterFunction = @convention(c) (UnsafeRawPointer) -> Void
            let before = Set(registry.names)
            unsafeBitCast(registerSymbol, to: RegisterFunction.self)(PluginABI.pointer(to: registry))
            guard Set(registry.names) != before else { throw PluginLoadError(path: path, reason: "registered no stage") }
        }
    }

    /// ELF magic: 0x7f 'E' 'L' 'F'.
    private static func isSharedLibrary(_ path: String) -> Bool {
        guard let h = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? h.close() }
        return (try? h.read(upToCount: 4)) == Data([0x7f, 0x45, 0x4c, 0x46])
    }
}
