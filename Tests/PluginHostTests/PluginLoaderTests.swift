import Foundation
import Pipeline
import PluginHost
import Testing

/// The plugin host refuses what is not an mrcnn plugin with one line, before running any of its code.
@Suite("plugin host")
struct PluginLoaderTests {
    @Test("missing files, non-ELF files and libraries without the entry points are refused")
    func refusals() throws {
        let registry = StageRegistry()
        #expect(throws: PluginLoadError(path: "/nonexistent.so", reason: "no such file")) {
            try PluginLoader.load("/nonexistent.so", into: registry)
        }
        let text = FileManager.default.temporaryDirectory.appendingPathComponent("not-\(UUID().uuidString).so")
        try Data("hello".utf8).write(to: text)
        defer { try? FileManager.default.removeItem(at: text) }
        #expect(throws: PluginLoadError(path: text.path, reason: "not a shared library (expected an ELF .so)")) {
            try PluginLoader.load(text.path, into: registry)
        }
        let libc = ["/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libc.so.6", "/lib/aarch64-linux-gnu/libc.so.6"]
            .first { FileManager.default.fileExists(atPath: $0) }
        if let libc {
            do {
                try PluginLoader.load(libc, into: registry)
                Issue.record("libc loaded as a plugin")
            } catch let error as PluginLoadError {
                #expect(error.description.contains("missing symbol mrcnn_plugin_api_version"))
            }
        }
        #expect(registry.names.isEmpty)
    }
}
