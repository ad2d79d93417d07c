import ArgumentParser
import Foundation

/// A user-facing failure of the command-line tool; its description is one line.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
