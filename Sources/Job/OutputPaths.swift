import Foundation
import Results
import VideoIO

/// Checks on output paths made before any heavy work; pure apart from reading the file system.
public enum OutputPaths {
    /// The `-o` values of one run: at most one video file and any number of live outputs (`StreamTarget`: rtmp://,
    /// srt://, DIR/NAME.m3u8 with `hlsSegment`-second segments, `-` for MPEG-TS on standard output); a one-line
    /// error for a stream URL that cannot work or a second file.
    public static func split(_ outputs: [String], hlsSegment: Double = 2) throws -> (file: String?, streams: [StreamTarget]) {
        var files: [String] = [], streams: [StreamTarget] = []
        for text in outputs {
            if let stream = try StreamTarget.parse(text, segmentSeconds: hlsSegment) { streams.append(stream) } else { files.append(text) }
        }
        guard files.count <= 1 else { throw JobError.videoFilesCollide(files) }
        return (files.first, streams)
    }

    /// Refuses two outputs on standard output (`-`), and resuming into it.
    static func checkStandardOutput(results: [String], streams: [StreamTarget], resume: Bool) throws {
        let count = results.filter(LineFile.isStandardOutput).count + streams.filter { $0.kind == .stdout }.count
        if count > 1 { throw JobError.standardOutputTwice }
        if count > 0 && resume { throw JobError.resumeToStandardOutput }
    }

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
