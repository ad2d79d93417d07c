import ArgumentParser
import Foundation
import ModelZoo

/// `mrcnn weights fetch|list|hash`: torchvision's official checkpoints in the cache directory, fetched as torch.hub does.
struct WeightsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "weights",
        abstract: "Download torchvision's official checkpoints into the cache directory and list them.",
        subcommands: [Fetch.self, List.self, Hash.self])

    /// `mrcnn weights fetch [MODEL]`: download once, verify the name's SHA-256 prefix, rename into place.
    struct Fetch: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download an official checkpoint into the cache directory (verified like torch.hub's check_hash).")

        @Argument(help: "maskrcnn_resnet50_fpn (default), maskrcnn_resnet50_fpn_v2, fasterrcnn_resnet50_fpn, fasterrcnn_resnet50_fpn_v2 or keypointrcnn_resnet50_fpn, or their short names (maskrcnn, keypointrcnn, …).")
        var model: String?
        @Option(help: "Where the files are (default: $MRCNN_WEIGHTS_BASE_URL, else \(HubCheckpoint.defaultBaseURL)).")
        var baseURL: String?
        @Option(name: .customLong("file"),
                help: "Fetch this file name from the base URL instead of a known model; it must carry a torch.hub hash prefix (name-<sha256 prefix>.ext).")
        var fileName: String?
        @Flag(help: "Allow a plain-http base URL that is not loopback (the bytes are then only protected by the hash prefix check).")
        var insecureHttp = false
        @Flag(help: "No progress on stderr.")
        var quiet = false

        func validate() throws { try JobConsole.checked { _ = try HubCheckpoint.fileToFetch(model: model, fileName: fileName) } }

        func run() throws {
            try JobConsole.checked {
                let file = try HubCheckpoint.fileToFetch(model: model, fileName: fileName)
                let reporter = quiet ? nil : DownloadProgress(isTerminal: isatty(STDERR_FILENO) != 0, write: StandardError.write)
                let progress: (@Sendable (Int64, Int64) -> Void)? = reporter.map { r in { @Sendable in r.update(done: $0, total: $1) } }
                let outcome = try ModelZoo.fetch(file: file, base: HubCheckpoint.baseURL(override: baseURL, mirror: ToolEnvironment.weightsMirror),
                                                   into: ToolEnvironment.cacheDirectory,
                                                   allowInsecure: insecureHttp, events: { event in
                    guard let m = event.message(file: file) else { return }
                    if m.warning { StandardError.write("mrcnn: warning: \(m.text)\n") } else { print(m.text) }
                }, progress: progress)
                reporter?.finish()
                print(outcome.line(file: file))
            }
        }
    }

    /// `mrcnn weights list`: the known checkpoints, their cache paths, and whether each is present and verified.
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the known checkpoints and their state in the cache directory.")

        func run() throws {
            try JobConsole.checked { try HubCheckpoint.listing(cache: ToolEnvironment.cacheDirectory).forEach { print($0) } }
        }
    }

    /// `mrcnn weights hash FILE...`: SHA-256 of files, printed as sha256sum does.
    struct Hash: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the SHA-256 of files (as sha256sum does).")

        @Argument(help: "Files to hash.")
        var files: [String]

        func run() throws {
            try JobConsole.checked {
                for file in files { print("\(try FileDigest.sha256(ofFileAt: file))  \(file)") }
            }
        }
    }
}
