import Foundation
import Testing

/// Rules that keep the package usable by others and the library honest about its inputs: no `unsafeFlags` and no
/// path dependency in any manifest (SwiftPM refuses both in a package used by version), and no library module
/// reading the process environment (the tool reads it and passes values; library behaviour is set by arguments).
@Suite("build rules")
struct BuildRulesTests {
    static let root = ImportRulesTests.root

    /// Every Package.swift of the repository (the root, the example and the external plugin), build folders skipped.
    static func manifests() throws -> [URL] {
        var found: [URL] = []
        guard let files = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else { return [] }
        for case let url as URL in files {
            if url.lastPathComponent.hasPrefix(".build") || url.lastPathComponent == ".git" { files.skipDescendants(); continue }
            if url.lastPathComponent == "Package.swift" { found.append(url) }
        }
        return found
    }

    @Test("no manifest uses unsafeFlags; the root manifest has no path dependency")
    func safeManifests() throws {
        let manifests = try Self.manifests()
        #expect(manifests.count >= 3, "found \(manifests.map(\.path))")
        for manifest in manifests {
            let code = try String(contentsOf: manifest, encoding: .utf8).split(separator: "\n")
                .filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("//") }
            #expect(!code.contains { $0.contains("unsafeFlags") }, "\(manifest.path) uses unsafeFlags")
        }
        let rootManifest = try String(contentsOf: Self.root.appendingPathComponent("Package.swift"), encoding: .utf8)
        #expect(!rootManifest.contains(".package(path:") && !rootManifest.contains(".package(name:"),
                "the root manifest depends on a package by path: a package using mrcnn by version would not resolve")
    }

    /// Reads of the process environment allowed in library modules, each "file VARIABLE": none (the compute engine's
    /// MRCNN_* switches became `ModelOptions` fields). Nothing may be added.
    static let engineExceptions: Set<String> = []

    @Test("no library module reads the process environment (the tool passes values)")
    func noEnvironmentInLibraries() throws {
        let library = try ImportRulesTests.rules().filter { $0.module != "mrcnn" }
        #expect(library.count >= 15)
        var used: Set<String> = []
        for rule in library {
            guard let files = FileManager.default.enumerator(at: Self.root.appendingPathComponent(rule.folder),
                                                             includingPropertiesForKeys: nil) else { continue }
            for case let url as URL in files where url.pathExtension == "swift" {
                let relative = "\(rule.folder)/" + url.path.dropFirst(Self.root.appendingPathComponent(rule.folder).path.count + 1)
                for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n") {
                    let code = line.split(separator: "//", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
                    guard ["getenv(", "environment[", "processInfo.environment"].contains(where: code.contains) else { continue }
                    let variable = code.split(separator: "\"").dropFirst().first.map(String.init) ?? "?"
                    let key = "\(relative) \(variable)"
                    if Self.engineExceptions.contains(key) { used.insert(key); continue }
                    Issue.record("\(relative) reads the process environment (\(variable)): take the value as an argument or option; the tool reads the environment")
                }
            }
        }
        for stale in Self.engineExceptions.subtracting(used) {
            Issue.record("\(stale) no longer reads the environment: remove it from BuildRulesTests.engineExceptions")
        }
    }

    /// (700 until `mrcnn compare`, a command of declarations only, joined the eight others.)
    @Test("the tool stays a shell that parses, validates and prints: Sources/mrcnn holds at most 720 lines")
    func thinTool() throws {
        let folder = Self.root.appendingPathComponent("Sources/mrcnn")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".swift") }
        let lines = try files.reduce(0) { total, file in
            total + (try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)).split(separator: "\n", omittingEmptySubsequences: false).count - 1
        }
        #expect(files.count >= 10 && lines > 300, "Sources/mrcnn not read right: \(files.count) files, \(lines) lines")
        #expect(lines <= 720, "Sources/mrcnn has \(lines) lines: move logic into the library modules")
    }
}
