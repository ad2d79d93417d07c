/// Ceilings on what a checkpoint file may make the readers allocate or walk, so a hostile file cannot exhaust
/// memory or time. Each breach is one `CheckpointError.limitExceeded` line naming the file and the limit.
/// The defaults are far above every torchvision checkpoint (the largest official R-CNN file is ~180 MB with
/// ~330 zip records, a ~40 KB pickle of depth 4 and ~300 tensors). A plain value; any thread.
public struct CheckpointLimits: Sendable, Equatable {
    /// float32 bytes of all tensors read (4 GiB); also bounds the zip records extracted in total.
    public var maxTotalBytes: Int = 4 << 30
    /// safetensors JSON header (100 MB, the cap of the safetensors format itself).
    public var maxSafetensorsHeaderBytes: Int = 100_000_000
    /// Tensors in one file (safetensors entries, state-dict tensors).
    public var maxTensors: Int = 100_000
    /// Dimensions of one tensor (torch allows 64).
    public var maxRank: Int = 64
    /// One pickle record (zip `data.pkl`; a legacy file's pickles are bounded by the file).
    public var maxPickleBytes: Int = 256 << 20
    /// Containers nested in containers, and MARKs open at once, in a pickle.
    public var maxPickleDepth: Int = 100
    /// Values a pickle may push (every opcode that produces one), all pickles of a file together.
    public var maxPickleObjects: Int = 10_000_000
    /// Memo entries of one pickle.
    public var maxPickleMemo: Int = 1_000_000
    /// One pickled string, bytes object or integer, in bytes.
    public var maxPickleStringBytes: Int = 16 << 20
    /// Records in a zip archive.
    public var maxZipEntries: Int = 10_000

    public init() {}

    /// The limits `CheckpointReader.load(contentsOf:)` applies.
    public static let standard = CheckpointLimits()

    /// An error for a breached limit; the reader fills in the file (see `CheckpointError.naming`).
    static func exceeded(_ what: String) -> CheckpointError { .limitExceeded(file: "", limit: what) }
}

/// Counts float32 bytes handed out against `CheckpointLimits.maxTotalBytes` and tensors against `maxTensors`.
struct OutputBudget {
    let limits: CheckpointLimits
    private(set) var bytes = 0
    private(set) var tensors = 0

    init(_ limits: CheckpointLimits) { self.limits = limits }

    /// Claims room for one tensor of `count` float32 values (before it is allocated).
    mutating func claim(count: Int, name: String) throws {
        tensors += 1
        if tensors > limits.maxTensors {
            throw CheckpointLimits.exceeded("more than \(limits.maxTensors) tensors (limit maxTensors)")
        }
        let (size, o1) = count.multipliedReportingOverflow(by: 4)
        let (total, o2) = bytes.addingReportingOverflow(size)
        if o1 || o2 || total > limits.maxTotalBytes {
            throw CheckpointLimits.exceeded("tensor '\(name)' brings the float32 data past "
                + "\(limits.maxTotalBytes) bytes (limit maxTotalBytes)")
        }
        bytes = total
    }
}
