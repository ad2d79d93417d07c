import ArgumentParser
import Checkpoint
import Detector
import Foundation

/// `mrcnn weights fetch|list|hash`: torchvision's official checkpoints in the cache directory, fetched as torch.hub does.
struct WeightsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "weights",
        abstract: "Download torchvision's official checkpoints into the cache directory and list them.",
        subcommands: [Fetch.self, List.self, Hash.self])

    /// Runs `body`, turning any error into one `mrcnn: error:` line and a failure exit status.
    static func reportingErrors(_ body: () throws -> Void) throws {
        do { try body() } catch {
            StandardError.report(error)
            throw ExitCode.failure
        }
    }

    /// `mrcnn weights fetch [MODEL]`: download once, verify the name's SHA-256 prefix, rename into place.
    struct Fetch: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download an official checkpoint into the cache directory (verified like torch.hub's check_hash).")

        @Argument(help: "maskrcnn_resnet50_fpn (default) or keypointrcnn_resnet50_fpn.")
        var model: String?

        @Option(help: "Where the files are (default: $MRCNN_WEIGHTS_BASE_URL, else \(HubCheckpoint.defaultBaseURL)).")
        var baseURL: String?

        @Option(name: .customLong("file"),
                help: "Fetch this file name from the base URL instead of a known model; it must carry a torch.hub hash prefix (name-<sha256 prefix>.ext).")
        var fileName: String?

        @Flag(help: "No progress on stderr.")
        var quiet = false

        func run() throws { try WeightsCommand.reportingErrors(fetch) }

        private func fetch() throws {
            let file = try chosenFile()
            guard let prefix = HubCheckpoint.hashPrefix(inFileName: file), !prefix.isEmpty else {
                throw CLIError("'\(file)' has no torch.hub hash prefix (name-<lowercase hex>.ext); refusing an unverifiable download")
            }
            let base = baseURL ?? ProcessInfo.processInfo.environment["MRCNN_WEIGHTS_BASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
                ?? HubCheckpoint.defaultBaseURL
            let url = try HubCheckpoint.url(base: base, file: file)
            let dir = ModelLoader.cacheDirectory
            do {
                try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            } catch {
                throw CLIError("cannot create the cache directory \(dir.path): \(error.localizedDescription)")
            }
            let target = dir.appendingPathComponent(file)
            if FileManager.default.fileExists(atPath: target.path) {
                let digest = try SHA256.hexDigest(ofFileAt: target.path)
                if digest.hasPrefix(prefix) {
                    print("\(file): already present and verified (sha256 \(digest.prefix(16))…), not downloading: \(target.path)")
                    return
                }
                StandardError.write("mrcnn: warning: \(target.path) fails verification (sha256 starts \(digest.prefix(prefix.count)), expected \(prefix)); downloading again\n")
            }
            let partial = dir.appendingPathComponent("\(file).\(getpid()).partial")
            defer { try? FileManager.default.removeItem(at: partial) }
            print("Downloading \(url.absoluteString) to \(target.path)")
            let started = Date()
            let outcome = try Download.run(url, to: partial, progress: !quiet)
            guard outcome.sha256.hasPrefix(prefix) else {
                throw CLIError("\(file): hash mismatch: expected SHA-256 prefix \(prefix), got \(outcome.sha256.prefix(prefix.count)) (download discarded)")
            }
            do {
                _ = try CheckpointReader.format(ofFileAt: partial.path)
            } catch {
                throw CLIError("\(url.absoluteString) is not a checkpoint (download discarded): \(error)")
            }
            guard rename(partial.path, target.path) == 0 else {
                throw CLIError("cannot move the download to \(target.path): \(String(cString: strerror(errno)))")
            }
            let seconds = max(Date().timeIntervalSince(started), 1e-3), mb = Double(outcome.bytes) / 1_048_576
            print(String(format: "%@: %.1f MB in %.1f s (%.1f MB/s), sha256 prefix %@ verified: %@",
                         file, mb, seconds, mb / seconds, prefix, target.path))
        }

        private func chosenFile() throws -> String {
            if let fileName {
                guard model == nil else { throw CLIError("give a model name or --file, not both") }
                guard !fileName.isEmpty, !fileName.contains("/"), fileName != ".", fileName != ".." else {
                    throw CLIError("--file must be a plain file name (got '\(fileName)')")
                }
                return fileName
            }
            let name = model ?? HubCheckpoint.known[0].model
            guard let entry = HubCheckpoint.known.first(where: { $0.model == name }) else {
                let names = HubCheckpoint.known.map(\.model).joined(separator: ", ")
                throw CLIError("unknown model '\(name)' (known: \(names))")
            }
            return entry.file
        }
    }

    /// `mrcnn weights list`: the known checkpoints, their cache paths, and whether each is present and verified.
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the known checkpoints and their state in the cache directory.")

        func run() throws {
            try WeightsCommand.reportingErrors {
                let dir = ModelLoader.cacheDirectory
                print("cache directory: \(dir.path)")
                let width = HubCheckpoint.known.map(\.model.count).max() ?? 0
                for entry in HubCheckpoint.known {
                    let path = dir.appendingPathComponent(entry.file).path
                    let state: String
                    if !FileManager.default.fileExists(atPath: path) {
                        state = "missing (mrcnn weights fetch \(entry.model))"
                    } else {
                        let digest = try SHA256.hexDigest(ofFileAt: path), prefix = HubCheckpoint.hashPrefix(inFileName: entry.file) ?? ""
                        state = digest.hasPrefix(prefix) ? "present, verified"
                            : "present, HASH MISMATCH (sha256 starts \(digest.prefix(prefix.count)), expected \(prefix))"
                    }
                    print("\(entry.model.padding(toLength: width, withPad: " ", startingAt: 0))  \(path)  \(state)")
                }
            }
        }
    }

    /// `mrcnn weights hash FILE...`: SHA-256 of files, printed as sha256sum does.
    struct Hash: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the SHA-256 of files (as sha256sum does).")

        @Argument(help: "Files to hash.")
        var files: [String]

        func run() throws {
            try WeightsCommand.reportingErrors {
                for file in files { print("\(try SHA256.hexDigest(ofFileAt: file))  \(file)") }
            }
        }
    }
}

/// torchvision's checkpoint names and torch.hub's hash-prefix rule (`HASH_REGEX = -([a-f0-9]*)\.` in torch/hub.py).
enum HubCheckpoint {
    static let defaultBaseURL = "https://download.pytorch.org/models/"

    /// Model name → official file name (the hash prefix is part of the name).
    static let known: [(model: String, file: String)] = [
        ("maskrcnn_resnet50_fpn", ModelLoader.officialMaskRCNN),
        ("keypointrcnn_resnet50_fpn", "keypointrcnn_resnet50_fpn_coco-fc266e95.pth"),
    ]

    /// The hash prefix as torch.hub's `HASH_REGEX.search(filename).group(1)`: the lowercase hex run after the
    /// leftmost '-' that is followed by such a run and a '.'; nil when nothing matches (torch then checks nothing).
    static func hashPrefix(inFileName name: String) -> String? {
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

    /// `base` + "/" + `file`, for http and https bases.
    static func url(base: String, file: String) throws -> URL {
        let joined = (base.hasSuffix("/") ? base : base + "/") + file
        guard let url = URL(string: joined), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              url.host != nil else {
            throw CLIError("bad base URL '\(base)' (expected http:// or https://)")
        }
        return url
    }
}
