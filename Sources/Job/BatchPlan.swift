import Foundation

/// One output set per input of a many-input run (`mrcnn run LIST -o DIR/`): `DIR/NAME.mp4` and `DIR/NAME.jsonl`,
/// NAME being the input's file name without extension (plus a short digest of the full path when two inputs
/// share a name). An item is done when its video and results exist and no resume sidecar is left. Pure apart
/// from `isDone` reading the file system.
public struct BatchPlan: Sendable {
    /// One input and its outputs.
    public struct Item: Equatable, Sendable {
        public let input: String
        public let video: String
        public let json: String

        /// True when a finished run left both outputs and no sidecar state.
        public var isDone: Bool {
            let files = FileManager.default
            return files.fileExists(atPath: video) && files.fileExists(atPath: json)
                && !files.fileExists(atPath: ResumeState.path(for: video))
        }
    }

    public let items: [Item]

    /// The output sets of `inputs` in `directory`.
    public init(inputs: [String], directory: String) {
        let folder = directory.hasSuffix("/") ? directory : directory + "/"
        let names = inputs.map(Self.name)
        var seen: [String: Int] = [:]
        for name in names { seen[name, default: 0] += 1 }
        items = zip(inputs, names).map { input, name in
            let unique = seen[name, default: 0] > 1 ? name + "-" + ResumeState.digest(Data(input.utf8)).prefix(8) : name
            return Item(input: input, video: folder + unique + ".mp4", json: folder + unique + ".jsonl")
        }
    }

    /// The file name of `input` without folder, query or extension ("video" when nothing is left).
    static func name(_ input: String) -> String {
        var last = input.split(separator: "/").last.map(String.init) ?? input
        if let query = last.firstIndex(where: { $0 == "?" || $0 == "#" }) { last = String(last[..<query]) }
        let stem = (last as NSString).deletingPathExtension
        let safe = stem.map { $0.isLetter || $0.isNumber || "-_.".contains($0) ? $0 : "_" }
        return safe.isEmpty ? "video" : String(safe)
    }
}
