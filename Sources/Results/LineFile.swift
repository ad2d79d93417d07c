import Foundation

/// An output text file written with unbuffered appends (each `write` is one `write(2)`); used from one thread.
public final class LineFile {
    public let path: String
    private let handle: FileHandle

    /// Creates (or truncates) the file.
    public init(path: String) throws {
        self.path = path
        guard FileManager.default.createFile(atPath: path, contents: nil),
              let handle = FileHandle(forWritingAtPath: path) else {
            throw ResultsError.cannotWrite(path: path, reason: "could not create the file")
        }
        self.handle = handle
    }

    public func write(_ text: String) throws {
        do { try handle.write(contentsOf: Data(text.utf8)) } catch {
            throw ResultsError.cannotWrite(path: path, reason: error.localizedDescription)
        }
    }

    public func close() { try? handle.close() }
}
