#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// The kernel choices measured on this machine, per shape class (`ShapeClass.key`), for one CPU model, thread count,
/// oneDNN version and engine revision (`fingerprint`): held in this process and, with a directory, in
/// `kernels-<hash>.json` there — read at first use, rewritten after each new measurement, so a later process measures
/// nothing. One instance per directory (`at(_:)`); thread-safe.
public final class KernelPlanCache: @unchecked Sendable, CustomStringConvertible {
    /// One shape class: the choice, and the best ms and the relative error (vs fp32, bf16 chains) of every candidate
    /// timed ("bf16 Winograd" → 4.1 ms, 1.1e-2).
    public struct Entry: Sendable {
        public let choice: KernelChoice
        public let milliseconds: [String: Double]
        public let errors: [String: Double]
    }

    /// Where the file lives (nil: this process only).
    public let directory: String?
    private var entries: [String: Entry]?
    private let lock = Mutex(())

    /// The choices of this process only.
    public static let inProcess = KernelPlanCache(directory: nil)
    private static let byDirectory = Mutex<[String: KernelPlanCache]>([:])

    /// The cache kept in `directory` (created when first written); the same instance for the same path.
    public static func at(_ directory: String) -> KernelPlanCache {
        byDirectory.withLock { all in
            if let c = all[directory] { return c }
            let c = KernelPlanCache(directory: directory)
            all[directory] = c
            return c
        }
    }

    private init(directory: String?) {
        self.directory = directory
    }

    /// Bumped when a kernel changes enough to make old measurements wrong.
    static let engineRevision = 3

    /// What the measurements hold for: CPU model, the ISA oneDNN runs (DNNL_MAX_CPU_ISA may lower it), threads,
    /// oneDNN version, engine revision.
    public static let fingerprint: String = {
        let cpu = CPUFeatures.current
        return "\(cpu.modelName) (\(cpu.modelID)), oneDNN ISA \(cpu.onednnISA), \(ComputePool.threads) threads, "
            + "oneDNN \(DNNL.version), engine \(engineRevision)"
    }()

    /// The file of this machine's fingerprint, when the cache has a directory.
    public var path: String? {
        directory.map { "\($0)/kernels-\(String(FNV1a.hash(KernelPlanCache.fingerprint), radix: 16)).json" }
    }

    /// The measured choice of a shape class, if any.
    func entry(_ key: String) -> Entry? {
        lock.withLock { _ in
            return loaded()[key]
        }
    }

    /// Keeps a new measurement (and writes the file).
    func record(_ key: String, _ entry: Entry) {
        lock.withLock { _ in
            var all = loaded()
            all[key] = entry
            entries = all
            save(all)
        }
    }

    /// Every measured class, by key.
    public var measured: [(key: String, entry: Entry)] {
        lock.withLock { _ in
            return loaded().sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        }
    }

    public var description: String { path ?? "in this process" }

    private func loaded() -> [String: Entry] {
        if let entries { return entries }
        var found: [String: Entry] = [:]
        if let path, let data = FileManager.default.contents(atPath: path),
           let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
           json["fingerprint"] as? String == KernelPlanCache.fingerprint, let classes = json["classes"] as? [String: [String: Any]] {
            for (key, value) in classes {
                guard let text = value["choice"] as? String, let choice = KernelChoice(text) else { continue }
                let ms = (value["milliseconds"] as? [String: NSNumber] ?? [:]).mapValues(\.doubleValue)
                let errors = (value["errors"] as? [String: NSNumber] ?? [:]).mapValues(\.doubleValue)
                found[key] = Entry(choice: choice, milliseconds: ms, errors: errors)
            }
        }
        entries = found
        return found
    }

    /// Writes the file through a temporary and a rename; a cache that cannot be written stays in memory.
    private func save(_ all: [String: Entry]) {
        guard let directory, let path else { return }
        let classes = all.mapValues {
            ["choice": $0.choice.description, "milliseconds": $0.milliseconds, "errors": $0.errors] as [String: Any]
        }
        let json: [String: Any] = ["fingerprint": KernelPlanCache.fingerprint, "classes": classes]
        guard let data = try? JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys]) else { return }
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let temporary = path + ".\(getpid()).tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: data) else { return }
        if rename(temporary, path) != 0 { unlink(temporary) }
    }
}

/// 64-bit FNV-1a of a string's UTF-8 bytes.
enum FNV1a {
    static func hash(_ s: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }
}
