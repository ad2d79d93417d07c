import ArgumentParser
import Foundation

/// A user-facing failure of the command-line tool; its description is one line.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Writes to standard error without buffering surprises.
enum StandardError {
    static func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// Prints "mrcnn: error: <one line>" for any error.
    static func report(_ error: any Error) {
        let text = String(describing: error)
            .split(whereSeparator: \.isNewline).joined(separator: " ")
        write("mrcnn: error: \(text)\n")
    }
}
