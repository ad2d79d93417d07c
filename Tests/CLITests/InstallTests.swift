import Foundation
import Testing

/// `tools/install.sh PREFIX` gives a tree that runs from any directory without the build or the toolchain's paths.
@Suite("install")
struct InstallTests {
    @Test("the installed binary has a relative RUNPATH, finds its own Swift runtime, and runs elsewhere")
    func installedRuns() throws {
        let binary = try #require(CLIHarness.binary)
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        let prefix = dir.appendingPathComponent("opt/mrcnn")
        let script = ModelCommandTests.root.appendingPathComponent("tools/install.sh")
        let install = try CLIHarness.run(CLIHarness.tool("bash"),
                                         [script.path, prefix.path, "--from", binary.deletingLastPathComponent().path], in: dir)
        #expect(install.status == 0, "\(install.stderr)")
        let installed = prefix.appendingPathComponent("bin/mrcnn")

        let dynamic = try CLIHarness.run(CLIHarness.tool("readelf"), ["-d", installed.path], in: dir).stdout
        #expect(dynamic.contains("Library runpath: [$ORIGIN/../lib/mrcnn]"), "\(dynamic)")
        let resolved = try CLIHarness.run(CLIHarness.tool("ldd"), [installed.path], in: dir).stdout
        for name in ["libswiftCore.so", "libFoundation.so"] {
            let line = resolved.split(separator: "\n").first { $0.contains(name + " ") }.map(String.init) ?? "missing"
            #expect(line.contains("=> \(prefix.path)/bin/../lib/mrcnn/\(name)"), "\(name): \(line)")
        }
        #expect(!resolved.contains("not found"), "\(resolved)")

        // From another directory, with nothing on the library path: --version and a short run.
        let elsewhere = dir.appendingPathComponent("elsewhere")
        try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
        try CLIHarness.makeClip(elsewhere.appendingPathComponent("in.mp4"), seconds: 1, audio: false)
        let version = try CLIHarness.run(installed, ["--version"], in: elsewhere)
        #expect(version.status == 0 && version.stdout.hasPrefix("mrcnn "), "\(version.stderr)")
        let run = try CLIHarness.run(installed, ["run", "in.mp4", "-o", "out.mp4", "--stages", "render"], in: elsewhere)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try CLIHarness.probe(elsewhere.appendingPathComponent("out.mp4"))["video"] == 25)
    }
}
