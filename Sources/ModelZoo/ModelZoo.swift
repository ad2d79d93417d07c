import Checkpoint
import Foundation

/// The weights cache directory and what is in it: the official checkpoints by model name, fetched as torch.hub
/// does (download to a partial file, verify the name's SHA-256 prefix and the checkpoint format, rename into place).
public enum ModelZoo {
    /// The cache directory: `explicit` (the tool passes $MRCNN_CACHE), else `xdgCacheHome`/mrcnn (the tool passes
    /// $XDG_CACHE_HOME), else ~/.cache/mrcnn. Empty strings count as unset. Pure: the caller reads the environment.
    public static func cacheDirectory(explicit: String? = nil, xdgCacheHome: String? = nil) -> URL {
        if let dir = explicit, !dir.isEmpty { return URL(fileURLWithPath: dir) }
        if let xdg = xdgCacheHome, !xdg.isEmpty { return URL(fileURLWithPath: xdg).appendingPathComponent("mrcnn") }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/mrcnn")
    }

    /// ~/.cache/mrcnn: where a program finds the official checkpoints unless it names another directory.
    public static var defaultCacheDirectory: URL { cacheDirectory() }

    /// The state of a cached file.
    public enum CacheState: Equatable, Sendable, CustomStringConvertible {
        case missing
        case verified(sha256: String)
        /// Present, but its SHA-256 does not start with the name's prefix.
        case mismatch(sha256: String, expectedPrefix: String)

        /// "missing", "present, verified" or "present, HASH MISMATCH (…)".
        public var description: String {
            switch self {
            case .missing: return "missing"
            case .verified: return "present, verified"
            case let .mismatch(digest, prefix):
                return "present, HASH MISMATCH (sha256 starts \(digest.prefix(prefix.count)), expected \(prefix))"
            }
        }
    }

    /// Whether `file` is in `directory` and matches its hash prefix.
    public static func state(of file: String, in directory: URL = defaultCacheDirectory) throws -> CacheState {
        let path = directory.appendingPathComponent(file).path
        guard FileManager.default.fileExists(atPath: path) else { return .missing }
        let digest = try FileDigest.sha256(ofFileAt: path), prefix = HubCheckpoint.hashPrefix(inFileName: file) ?? ""
        return digest.hasPrefix(prefix) ? .verified(sha256: digest) : .mismatch(sha256: digest, expectedPrefix: prefix)
    }

    /// What `fetch` did.
    public enum FetchOutcome: Equatable, Sendable {
        /// The file was already there and verified; nothing downloaded.
        case alreadyPresent(path: String, sha256: String)
        case downloaded(path: String, bytes: Int64, seconds: Double, verifiedPrefix: String)

        /// One line saying what happened to `file`.
        public func line(file: String) -> String {
            switch self {
            case let .alreadyPresent(path, digest):
                return "\(file): already present and verified (sha256 \(digest.prefix(16))…), not downloading: \(path)"
            case let .downloaded(path, bytes, seconds, prefix):
                let mb = Double(bytes) / 1_048_576
                return String(format: "%@: %.1f MB in %.1f s (%.1f MB/s), sha256 prefix %@ verified: %@", file, mb, seconds, mb / seconds, prefix, path)
            }
        }
    }

    /// What `fetch` is about to do, for a caller that reports it.
    public enum FetchEvent: Sendable {
        /// The cached copy fails verification and is downloaded again.
        case replacing(CacheState)
        case downloading(url: URL, to: String)

        /// What a console says of it: a warning (for stderr) or a note (for stdout); nil for nothing.
        public func message(file: String) -> (text: String, warning: Bool)? {
            switch self {
            case .replacing(.mismatch(let digest, let prefix)):
                return ("the cached \(file) fails verification (sha256 starts \(digest.prefix(prefix.count)), expected \(prefix)); downloading again", true)
            case .replacing: return nil
            case let .downloading(url, target): return ("Downloading \(url.absoluteString) to \(target)", false)
            }
        }
    }

    /// Downloads `file` from `base` into `directory` unless a verified copy is there; `events` tells what it does,
    /// `progress(received, expected)` is called during the download (from another thread).
    /// Plain http is refused unless the host is loopback or `allowInsecure`; a new cache directory is private (0700).
    public static func fetch(file: String, base: String, into directory: URL = defaultCacheDirectory, allowInsecure: Bool = false,
                             events: (FetchEvent) -> Void = { _ in },
                             progress: (@Sendable (Int64, Int64) -> Void)? = nil) throws -> FetchOutcome {
        guard let prefix = HubCheckpoint.hashPrefix(inFileName: file), !prefix.isEmpty else { throw ZooError.noHashPrefix(file) }
        let url = try HubCheckpoint.url(base: base, file: file, allowInsecure: allowInsecure)
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw ZooError.cannotWrite(path: directory.path, reason: error.localizedDescription)
        }
        let target = directory.appendingPathComponent(file)
        switch try state(of: file, in: directory) {
        case .verified(let digest): return .alreadyPresent(path: target.path, sha256: digest)
        case .missing: break
        case let mismatch: events(.replacing(mismatch))
        }
        let partial = directory.appendingPathComponent("\(file).\(getpid()).partial")
        defer { try? FileManager.default.removeItem(at: partial) }
        events(.downloading(url: url, to: target.path))
        let started = Date()
        let outcome = try Download.run(url, to: partial, progress: progress)
        guard outcome.sha256.hasPrefix(prefix) else {
            throw ZooError.hashMismatch(file: file, expected: prefix, got: String(outcome.sha256.prefix(prefix.count)))
        }
        do {
            _ = try CheckpointReader.format(ofFileAt: partial.path)
        } catch {
            throw ZooError.notACheckpoint(url: url.absoluteString, reason: String(describing: error))
        }
        guard rename(partial.path, target.path) == 0 else {
            throw ZooError.cannotWrite(path: target.path, reason: String(cString: strerror(errno)))
        }
        return .downloaded(path: target.path, bytes: outcome.bytes, seconds: max(Date().timeIntervalSince(started), 1e-3),
                           verifiedPrefix: prefix)
    }
}
