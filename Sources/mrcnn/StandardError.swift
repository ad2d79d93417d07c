import ArgumentParser
import Foundation

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
