// libFuzzer target for the safetensors reader, built by tools/fuzz.sh together with Sources/Checkpoint into
// one module. The format sniff is skipped so every input reaches the header parser. Not part of the package.

/// Limits small enough that a single input stays fast and far below libFuzzer's 2 GB RSS limit.
let fuzzLimits: CheckpointLimits = {
    var limits = CheckpointLimits()
    limits.maxTotalBytes = 64 << 20
    limits.maxSafetensorsHeaderBytes = 1 << 20
    return limits
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafetensors(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    // Any CheckpointError is a correct answer; a crash, a hang or an OOM is a finding.
    _ = try? SafetensorsReader.read(bytes, limits: fuzzLimits)
    return 0
}
