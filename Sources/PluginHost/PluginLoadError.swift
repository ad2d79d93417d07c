import Foundation
import Pipeline

#if canImport(Glibc)
import Glibc
#endif

/// A plugin that cannot be loaded; `description` is one line ("plugin PATH: reason").
public struct PluginLoadError: Error, CustomStringConvertible, Equatable {
    public let path: String
    public let reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "plugin \(path): \(reason)" }
}
