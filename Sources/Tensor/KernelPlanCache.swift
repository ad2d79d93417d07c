#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// The kernel choices measured on this machine, per shape class (`ShapeClass.key`), for one CPU model, thread count,
/// oneDNN version and engine revision (`fingerprint`): held in this process and, with a directory, in
/// `kernels-<hash>.json` there — read at first use, rewritten after each new measurement, so a later process measures
/// nothing once a class is settled. A measurement whose timings were too noisy to tell the winner from the runner-up
/// is unsettled: the next process measures that class again (once) and merges the timings, until it settles or has
/// been measured `maximumMeasurements` times. Each measurement also records the machine's sgemm rate at the time
/// (`yardstick`); a class measured while the machine ran well below the rate this process finds (another job
/// sharing the cores) is measured again from scratch. One instance per directory (`at(_:)`); thread-safe.
public final class KernelPlanCache: @unchecked Sendable, CustomStringConvertible {
    /// One shape class: the choice, and the best ms and the relative error (vs fp32, bf16 chains) of every candidate
    /// timed ("bf16 Winograd" → 4.1 ms, 1.1e-2).
    public struct Entry: Sendable {
        public let choice: KernelChoice
        public let milliseconds: [String: Double]
        public let errors: [String: Double]
        /// Whether the winner beat the runner-up by more than the timings' own spread (or no other candidate was eligible).
        public var settled = true
        /// How many processes measured this class (their best timings merged).
        public var measurements = 1
        /// The machine's sgemm GFLOP/s when it was measured (`KernelPlanCache.yardstick`; 0: unknown).
        public var yardstick = 0.0
    }

    /// A stored class measured at below this share of the current yardstick is measured again.
    static let loadedShare = 0.75

    /// This process's sgemm rate on a fixed product (GFLOP/s, best of 8; about 10 ms), taken when first needed.
    static let yardstick: Double = {
        let m = 512, n = 512, k = 512
        let a = [Float](repeating: 0.01, count: m * k), b = [Float](repeating: 0.02, count: k * n)
        var c = [Float](repeating: 0, count: m * n), best = Double.infinity
        for _ in 0..<8 {
            let t0 = LayerBenchmark.now()
            a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
                GEMM.multiply(m: m, n: n, k: k, a: ap.baseAddress!, lda: k, b: bp.baseAddress!, ldb: n, c: cp.baseAddress!, ldc: n)
            } } }
            best = min(best, LayerBenchmark.now() - t0)
        }
        return 2 * Double(m * n * k) / best / 1e9
    }()

    /// An unsettled class is measured again by at most this many processes in all.
    static let maximumMeasurements = 3

    /// Where the file lives (nil: this process only).
    public let directory: String?
    private var entries: [String: Entry]?
    /// Classes measured by this process (not measured again here, settled or not).
    private var measuredHere: Set<String> = []
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
    static let engineRevision = 4

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

    /// Whether a class should be measured (again) by this process: never measured; measured by an earlier process on
    /// a loaded machine (`stale`); or unsettled and measured fewer than `maximumMeasurements` times.
    func needsMeasurement(_ key: String) -> Bool {
        lock.withLock { _ in
            guard let e = loaded()[key] else { return true }
            if measuredHere.contains(key) { return false }
            return stale(e) || (!e.settled && e.measurements < KernelPlanCache.maximumMeasurements)
        }
    }

    /// Whether an earlier process measured `e` while the machine ran well below this process's yardstick.
    func stale(_ e: Entry) -> Bool { e.yardstick > 0 && e.yardstick < KernelPlanCache.loadedShare * KernelPlanCache.yardstick }

    /// Keeps a new measurement (merged into an unsettled earlier one by `merge`; a stale one is replaced) and writes
    /// the file.
    func record(_ key: String, _ entry: Entry, merge: (Entry, Entry) -> Entry = { $1 }) {
        lock.withLock { _ in
            var all = loaded()
            var entry = entry
            entry.yardstick = KernelPlanCache.yardstick
            all[key] = all[key].map { stale($0) ? entry : merge($0, entry) } ?? entry
            entries = all
            measuredHere.insert(key)
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
                found[key] = Entry(choice: choice, milliseconds: ms, errors: errors, settled: value["settled"] as? Bool ?? true,
                                   measurements: (value["measurements"] as? NSNumber)?.intValue ?? 1,
                                   yardstick: (value["yardstick"] as? NSNumber)?.doubleValue ?? 0)
            }
        }
        entries = found
        return found
    }

    /// Writes the file through a temporary and a rename; a cache that cannot be written stays in memory.
    private func save(_ all: [String: Entry]) {
        guard let directory, let path else { return }
        let classes = all.mapValues {
            ["choice": $0.choice.description, "milliseconds": $0.milliseconds, "errors": $0.errors, "settled": $0.settled,
             "measurements": $0.measurements, "yardstick": $0.yardstick] as [String: Any]
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
