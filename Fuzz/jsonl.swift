// libFuzzer target for the JSON Lines results reader (`mrcnn render --results`, `--resume`'s replay), built by
// tools/fuzz.sh together with the plugin API and Sources/Results' reader into one module. Not part of the package.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONL(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    // Any ResultsError is a correct answer; a crash, a hang or an OOM is a finding.
    _ = try? ResultsReader.parse(Data(bytes: data, count: size), path: "fuzz.jsonl")
    return 0
}
