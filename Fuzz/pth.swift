// libFuzzer target for the .pth readers (torch zip and legacy pickle), built by tools/fuzz.sh together with
// Sources/Checkpoint into one module. Not part of the package.
// Each input goes through the production entry point, `CheckpointReader.load(contentsOf:)`, from a file in
// /dev/shm: the zip reader opens files by path (ZIPFoundation's in-memory archives leak their buffer).
import Foundation

/// Limits small enough that a single input stays fast and far below libFuzzer's 2 GB RSS limit.
let fuzzLimits: CheckpointLimits = {
    var limits = CheckpointLimits()
    limits.maxTotalBytes = 64 << 20
    limits.maxPickleObjects = 1_000_000
    limits.maxPickleStringBytes = 1 << 20
    return limits
}()

let fuzzPath = "/dev/shm/mrcnn-fuzz-pth-\(getpid()).pth"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPth(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard FileManager.default.createFile(atPath: fuzzPath, contents: Data(bytes: data, count: size)) else {
        fatalError("cannot write \(fuzzPath)")
    }
    // Any CheckpointError is a correct answer; a crash, a hang or an OOM is a finding.
    _ = try? CheckpointReader.load(contentsOf: fuzzPath, limits: fuzzLimits)
    return 0
}
