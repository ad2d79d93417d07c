import Foundation
import VideoIO

/// Checks on output paths made before any heavy work; pure apart from reading the file system.
public enum OutputPaths {
    /// Throws unless the folder of `path` exists and is writable.
    public static func checkWritable(_ path: String) throws {
        let dir = FilePaths.directory(of: path)
        let folder = dir.isEmpty ? "." : dir
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDir), isDir.boolValue,
              FileManager.default.isWritableFile(atPath: folder) else {
            throw JobError.notWritable(path: path, folder: folder)
        }
    }

    /// True when both paths name the same existing file (after resolving symlinks and relative parts).
    public static func same(_ a: String, _ b: String) -> Bool {
        let ua = URL(fileURLWithPath: a).standardizedFileURL.resolvingSymlinksInPath()
        let ub = URL(fileURLWithPath: b).standardizedFileURL.resolvingSymlinksInPath()
        if ua.path == ub.path { return true }
        guard let ia = try? FileManager.default.attributesOfItem(atPath: ua.path),
              let ib = try? FileManager.default.attributesOfItem(atPath: ub.path) else { return false }
        return (ia[.systemFileNumber] as? Int) == (ib[.systemFileNumber] as? Int)
            && (ia[.systemNumber] as? Int) == (ib[.systemNumber] as? Int)
            && ia[.systemFileNumber] != nil
    }
}
