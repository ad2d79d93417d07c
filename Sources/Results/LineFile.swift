import Foundation

/// An output text file written with unbuffered appends (each `write` is one `write(2)`); used from one thread.
public final class LineFile {
    public let path: String
    private let handle: FileHandle

    /// Creates (or truncates) the file; `append` keeps an existing file and writes after its end.
    public init(path: String, append: Bool = false) throws {
        self.path = path
        let keep = append && FileManager.default.fileExists(atPath: path)
        guard keep || FileManager.default.createFile(atPath: path, contents: nil),
              let handle = FileHandle(forWritingAtPath: path) else {
            throw ResultsError.cannotWrite(path: path, reason: "could not create the file")
        }
        if keep { _ = try? handle.seekToEnd() }
        self.handle = handle
    }

    public func write(_ text: String) throws {
        do { try handle.write(contentsOf: Data(text.utf8)) } catch {
            throw ResultsError.cannotWrite(path: path, reason: error.localizedDescription)
        }
    }

    public func close() { try? handle.close() }
}
