import Foundation
import Testing

/// ARCHITECTURE.md's table of modules and allowed imports is the rule: every `import` line of every module of
/// ours must name a module its row allows (or a system module), and every module folder must have a row.
@Suite("architecture")
struct ImportRulesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    /// Modules of the toolchain and the OS, allowed everywhere.
    static let system: Set<String> = ["Foundation", "FoundationNetworking", "Glibc", "Darwin", "Dispatch", "Synchronization"]

    /// (module, folder, allowed imports) from the rows of the table after the `allowed-imports` marker.
    static func rules() throws -> [(module: String, folder: String, allowed: Set<String>)] {
        let text = try String(contentsOf: root.appendingPathComponent("ARCHITECTURE.md"), encoding: .utf8)
        guard let marker = text.range(of: "<!-- allowed-imports -->") else { return [] }
        var rows: [(String, String, Set<String>)] = []
        for line in text[marker.upperBound...].split(separator: "\n").dropFirst(2) {
            guard line.hasPrefix("|") else { break }
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 3 else { continue }
            let names = { (cell: String) in
                cell.split(separator: "`", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
            }
            rows.append((names(cells[0]).first ?? cells[0], names(cells[1]).first ?? cells[1], Set(names(cells[2]))))
        }
        return rows
    }

    /// The modules named by `import` lines (also `@_exported import`) in the Swift files under `folder`.
    static func imports(in folder: String) throws -> [String: Set<String>] {
        var found: [String: Set<String>] = [:]
        let base = root.appendingPathComponent(folder)
        guard let files = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil) else { return [:] }
        for case let url as URL in files where url.pathExtension == "swift" {
            for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n") {
                let words = line.split(separator: " ").map(String.init)
                guard let i = words.firstIndex(of: "import"), i <= 1, i + 1 < words.count,
                      i == 0 || words[0] == "@_exported" else { continue }
                found[words[i + 1], default: []].insert(url.lastPathComponent)
            }
        }
        return found
    }

    @Test("every import is allowed by ARCHITECTURE.md")
    func importsFollowTheTable() throws {
        let rules = try Self.rules()
        #expect(rules.count >= 15, "the allowed-imports table was not found")
        var checked = 0
        for rule in rules {
            let found = try Self.imports(in: rule.folder)
            checked += found.count
            for (module, files) in found
            where !rule.allowed.contains(module) && !Self.system.contains(module) && module != rule.module {
                Issue.record("\(rule.module) imports \(module) (in \(files.sorted().joined(separator: ", "))), not allowed by ARCHITECTURE.md")
            }
        }
        #expect(checked > 40, "the folders of the table hold no import lines: the table is not read right")
    }

    @Test("every module folder has a row")
    func everyModuleIsListed() throws {
        let folders = Set(try Self.rules().map(\.folder))
        for parent in ["Sources", "Plugins"] {
            let names = try FileManager.default.contentsOfDirectory(atPath: Self.root.appendingPathComponent(parent).path)
            for name in names where name != "External" && !name.hasPrefix(".") {
                #expect(folders.contains("\(parent)/\(name)"), "\(parent)/\(name) has no row in ARCHITECTURE.md")
            }
        }
    }
}
