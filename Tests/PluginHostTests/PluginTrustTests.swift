import Foundation
import Pipeline
import PluginHost
import Testing

/// Plugins are code: a file someone else could have replaced is refused before dlopen, as ssh refuses such a key.
@Suite("plugin trust")
struct PluginTrustTests {
    typealias Entry = PluginTrust.Entry

    @Test("the rule on stat results: owner, group/other write, sticky directories")
    func rule() {
        let root = Entry(path: "/", owner: 0, mode: 0o40755, isDirectory: true)
        let file = Entry(path: "/p/x.so", owner: 1000, mode: 0o100755, isDirectory: false)
        let dir = Entry(path: "/p", owner: 1000, mode: 0o40755, isDirectory: true)
        #expect(PluginTrust.problem(in: [file, dir, root], uid: 1000) == nil)
        #expect(PluginTrust.problem(in: [file, dir, root], uid: 0)?.contains("belongs to another user (uid 1000)") == true)
        var worldFile = file; worldFile.mode = 0o100757
        #expect(PluginTrust.problem(in: [worldFile, dir, root], uid: 1000)?.hasPrefix("the file is writable by anyone (mode 757)") == true)
        var groupDir = dir; groupDir.mode = 0o40775
        #expect(PluginTrust.problem(in: [file, groupDir, root], uid: 1000)?.hasPrefix("its directory /p is writable by its group") == true)
        let tmp = Entry(path: "/tmp", owner: 0, mode: 0o41777, isDirectory: true)
        let inTmp = Entry(path: "/tmp/x.so", owner: 1000, mode: 0o100644, isDirectory: false)
        #expect(PluginTrust.problem(in: [inTmp, tmp, root], uid: 1000) == nil, "sticky /tmp: only the owner can replace x.so")
        var openTmp = tmp; openTmp.mode = 0o40777
        #expect(PluginTrust.problem(in: [inTmp, openTmp, root], uid: 1000) != nil, "world-writable without the sticky bit")
        let theirs = Entry(path: "/tmp/x.so", owner: 1001, mode: 0o100644, isDirectory: false)
        #expect(PluginTrust.problem(in: [theirs, tmp, root], uid: 1000) != nil)
    }

    @Test("real files: a group- or world-writable plugin, or one in such a directory, is refused with one line")
    func realFiles() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("trust-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o755])
        defer { try? FileManager.default.removeItem(at: base) }
        let plugin = base.appendingPathComponent("p.so")
        try Data([0x7f, 0x45, 0x4c, 0x46, 0, 0, 0, 0]).write(to: plugin)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: plugin.path)
        try PluginTrust.check(plugin.path)

        try FileManager.default.setAttributes([.posixPermissions: 0o666], ofItemAtPath: plugin.path)
        do {
            try PluginLoader.load(plugin.path, into: StageRegistry())
            Issue.record("a world-writable plugin was loaded")
        } catch let error as PluginLoadError {
            #expect(error.description == "plugin \(plugin.path): the file is writable by anyone (mode 666); plugins are code: run chmod go-w on it")
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: plugin.path)
        try FileManager.default.setAttributes([.posixPermissions: 0o775], ofItemAtPath: base.path)
        #expect(throws: PluginLoadError.self) { try PluginTrust.check(plugin.path) }
        // A symlink is judged by what it points to.
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: base.path)
        let link = base.appendingPathComponent("link.so")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: plugin)
        try PluginTrust.check(link.path)
        try FileManager.default.setAttributes([.posixPermissions: 0o646], ofItemAtPath: plugin.path)
        #expect(throws: PluginLoadError.self) { try PluginTrust.check(link.path) }
    }
}
