import Foundation
import Glibc

/// An output text file written with unbuffered appends (each `write` is one `write(2)` call, repeated only when the
/// kernel takes part of it); `-` is standard output, which is never closed. Used from one thread.
public final class LineFile {
    public let path: String
    private let handle: FileHandle?
    private let fd: Int32

    /// True for `-`, which names standard output.
    public static func isStandardOutput(_ path: String) -> Bool { path == "-" }

    /// Creates (or truncates) the file; `append` keeps an existing file and writes after its end.
    public init(path: String, append: Bool = false) throws {
        self.path = path
        if Self.isStandardOutput(path) {
            handle = nil
            fd = STDOUT_FILENO
            return
        }
        let keep = append && FileManager.default.fileExists(atPath: path)
        guard keep || FileManager.default.createFile(atPath: path, contents: nil),
              let handle = FileHandle(forWritingAtPath: path) else {
            throw ResultsError.cannotWrite(path: path, reason: "could not create the file")
        }
        if keep { _ = try? handle.seekToEnd() }
        self.handle = handle
        fd = handle.fileDescriptor
    }

    /// Appends `text`; `ResultsError.readerGone` when standard output's reader closed the pipe (EPIPE: the tool
    /// ignores SIGPIPE so that this is an error, not the end of the process).
    public func write(_ text: String) throws {
        var bytes = Array(text.utf8)
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.write(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && errno == EPIPE { throw ResultsError.readerGone(path: path) }
            guard n > 0 else { throw ResultsError.cannotWrite(path: path, reason: String(cString: strerror(errno))) }
            done += n
        }
    }

    public func close() { try? handle?.close() }
}
