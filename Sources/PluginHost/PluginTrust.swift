import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Whether a plugin file may be loaded into the process: as ssh treats a private key, a file that someone other
/// than its owner could have replaced is refused. The file and every directory above it (symlinks resolved) must
/// belong to this user or root and must not be writable by group or others; a sticky world-writable directory
/// such as /tmp is accepted, since only an entry's owner may replace it there. Pure apart from `stat`.
public enum PluginTrust {
    /// What `stat` says about one path component.
    public struct Entry: Sendable, Equatable {
        public var path: String
        public var owner: UInt32
        public var mode: UInt32
        public var isDirectory: Bool

        public init(path: String, owner: UInt32, mode: UInt32, isDirectory: Bool) {
            self.path = path
            self.owner = owner
            self.mode = mode
            self.isDirectory = isDirectory
        }
    }

    /// The reason the chain of entries (the file first, then its directories up to `/`) is not trustworthy for
    /// user `uid`; nil when it is.
    public static func problem(in chain: [Entry], uid: UInt32) -> String? {
        for entry in chain {
            let what = entry.isDirectory ? "its directory \(entry.path)" : "the file"
            if entry.owner != uid && entry.owner != 0 {
                return "\(what) belongs to another user (uid \(entry.owner)); plugins are code: load only your own or root's files"
            }
            let othersWrite = entry.mode & 0o022 != 0
            let sticky = entry.mode & 0o1000 != 0
            if othersWrite && !(entry.isDirectory && sticky) {
                let who = entry.mode & 0o002 != 0 ? "anyone" : "its group"
                return "\(what) is writable by \(who) (mode \(String(entry.mode & 0o7777, radix: 8))); plugins are code: run chmod go-w on it"
            }
        }
        return nil
    }

    /// Checks the plugin at `path`; throws a one-line `PluginLoadError` naming what others could write.
    public static func check(_ path: String) throws {
        guard let resolved = realpath(path, nil) else { throw PluginLoadError(path: path, reason: "no such file") }
        defer { free(resolved) }
        var current = String(cString: resolved)
        var chain: [Entry] = []
        while true {
            var info = stat()
            guard stat(current, &info) == 0 else { throw PluginLoadError(path: path, reason: "cannot stat \(current)") }
            chain.append(Entry(path: current, owner: info.st_uid, mode: UInt32(info.st_mode),
                               isDirectory: info.st_mode & S_IFMT == S_IFDIR))
            if current == "/" { break }
            current = FilePathParent.of(current)
        }
        if let problem = problem(in: chain, uid: getuid()) { throw PluginLoadError(path: path, reason: problem) }
    }
}

/// The parent directory of an absolute, resolved path ("/a/b" → "/a", "/a" → "/").
enum FilePathParent {
    static func of(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return "/" }
        return String(path[..<slash])
    }
}
