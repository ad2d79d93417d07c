import Foundation
import HostAddress
import MaskRCNN

/// torchvision's official checkpoints and torch.hub's rules for them: file names carrying a SHA-256 prefix
/// (`HASH_REGEX = -([a-f0-9]*)\.` in torch/hub.py) and the download base URL. Pure values and functions.
public enum HubCheckpoint {
    public static let defaultBaseURL = "https://download.pytorch.org/models/"

    /// torchvision's official COCO Mask R-CNN checkpoint file name (the hash prefix is part of the name).
    public static let maskRCNN = "maskrcnn_resnet50_fpn_coco-bf2d0c1e.pth"
    /// torchvision's official COCO Keypoint R-CNN checkpoint file name.
    public static let keypointRCNN = "keypointrcnn_resnet50_fpn_coco-fc266e95.pth"

    /// Model name → official file name, the default model first: every torchvision R50-FPN detector mrcnn runs.
    public static let known: [(model: String, file: String)] = [
        ModelKind.maskRCNN, .maskRCNNv2, .fasterRCNN, .fasterRCNNv2, .keypointRCNN,
    ].map { ($0.rawValue, $0.officialFile) }

    /// The official file of model `name` (torchvision's name or an alias, as `ModelKind.named` reads it).
    public static func file(ofModel name: String) throws -> String {
        guard let kind = ModelKind.named(name) else { throw ZooError.unknownModel(name, known: ModelKind.namesForHelp) }
        return kind.officialFile
    }

    /// The file to fetch: `fileName` (a plain file name; its hash prefix is checked when fetching) or else the
    /// official file of `model` (default: the first known); one-line errors for both given or a path as a file name.
    public static func fileToFetch(model: String?, fileName: String?) throws -> String {
        guard let fileName else { return try file(ofModel: model ?? known[0].model) }
        guard model == nil else { throw ZooError.modelAndFile }
        guard !fileName.isEmpty, !fileName.contains("/"), fileName != ".", fileName != ".." else { throw ZooError.badFileName(fileName) }
        return fileName
    }

    /// What `mrcnn weights list` prints: the cache directory, then each known checkpoint's model name, cache path and
    /// state (missing ones with the command that fetches them).
    public static func listing(cache directory: URL) throws -> [String] {
        let width = known.map(\.model.count).max() ?? 0
        return ["cache directory: \(directory.path)"] + (try known.map { entry in
            let found = try ModelZoo.state(of: entry.file, in: directory)
            let state = found == .missing ? "missing (mrcnn weights fetch \(entry.model))" : found.description
            return "\(entry.model.padding(toLength: width, withPad: " ", startingAt: 0))  \(directory.appendingPathComponent(entry.file).path)  \(state)"
        })
    }

    /// The hash prefix as torch.hub's `HASH_REGEX.search(filename).group(1)`: the lowercase hex run after the
    /// leftmost '-' that is followed by such a run and a '.'; nil when nothing matches (torch then checks nothing).
    public static func hashPrefix(inFileName name: String) -> String? {
        let bytes = Array(name.utf8)
        let isHex: (UInt8) -> Bool = { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
        for start in bytes.indices where bytes[start] == UInt8(ascii: "-") {
            var end = start + 1
            while end < bytes.count, isHex(bytes[end]) { end += 1 }
            if end < bytes.count, bytes[end] == UInt8(ascii: ".") {
                return String(decoding: bytes[(start + 1)..<end], as: UTF8.self)
            }
        }
        return nil
    }

    /// The base URL to use: `override`, else a non-empty `mirror` (the tool passes $MRCNN_WEIGHTS_BASE_URL), else
    /// `defaultBaseURL`.
    public static func baseURL(override: String? = nil, mirror: String? = nil) -> String {
        override ?? mirror.flatMap { $0.isEmpty ? nil : $0 } ?? defaultBaseURL
    }

    /// `base` + "/" + `file`. https (certificates verified) always; plain http only to a loopback host (a local
    /// mirror, tests) or when `allowInsecure` (the user's explicit `--insecure-http`), since nothing else protects
    /// the bytes in transit before the hash prefix is checked.
    public static func url(base: String, file: String, allowInsecure: Bool = false) throws -> URL {
        let joined = (base.hasSuffix("/") ? base : base + "/") + file
        guard let url = URL(string: joined), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = url.host, !host.isEmpty else {
            throw ZooError.badBaseURL(base)
        }
        if scheme == "http" && !allowInsecure && !HostAddress.isLoopback(host) { throw ZooError.insecureURL(base) }
        return url
    }
}
