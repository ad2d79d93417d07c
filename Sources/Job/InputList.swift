import Foundation
import VideoIO

/// The inputs of a many-input run: a directory (its video files), a glob, or a text file listing paths or URLs
/// (one per line; blank lines and `#` comments skipped). Sorted and without duplicates, so every worker that
/// expands the same list sees the same order. Pure apart from reading the file system.
public enum InputList {
    /// File extensions taken from a directory.
    public static let videoExtensions: Set<String> = ["mp4", "mov", "m4v", "mkv", "avi", "webm", "ts", "mts", "mpg", "mpeg", "flv", "wmv"]

    /// True when `input` is a text list of inputs (by its extension).
    public static func isListFile(_ input: String) -> Bool {
        [".txt", ".list", ".lst"].contains { input.lowercased().hasSuffix($0) }
    }

    /// The inputs `input` names; throws a one-line error when it names none.
    public static func expand(_ input: String) throws -> [String] {
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: input, isDirectory: &isDirectory)
        let found: [String]
        if exists, isDirectory.boolValue {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: input)) ?? []
            let folder = input.hasSuffix("/") ? input : input + "/"
            found = names.filter { videoExtensions.contains(($0 as NSString).pathExtension.lowercased()) }.map { folder + $0 }
        } else if exists, isListFile(input) {
            let text = try String(contentsOfFile: input, encoding: .utf8)
            found = parseList(text, relativeTo: FilePaths.directory(of: input))
        } else if !exists, input.contains(where: { "*?[".contains($0) }) {
            found = Glob.match(input)
        } else {
            found = exists ? [input] : []
        }
        let inputs = Array(Set(found)).sorted()
        guard !inputs.isEmpty else { throw JobError.noInputs(input) }
        return inputs
    }

    /// The still images `inputs` name, for `detect`: each a file, a directory (its image files), a glob or a `%04d`
    /// pattern (`ImageSequenceSource.expand`), or a `.txt` list of images; each input's images sorted by name, the
    /// inputs in the order given, each image once. One-line errors for an input that names no readable image.
    public static func images(_ inputs: [String]) throws -> [String] {
        var seen = Set<String>(), images: [String] = []
        for input in inputs {
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: input, isDirectory: &isDirectory)
            let found: [String]
            if exists, !isDirectory.boolValue, isListFile(input) {
                let text = try String(contentsOfFile: input, encoding: .utf8)
                found = parseList(text, relativeTo: FilePaths.directory(of: input))
                guard !found.isEmpty else { throw JobError.noInputs(input) }
            } else if exists, !isDirectory.boolValue {
                found = [input]
            } else if ImageSequenceSource.isSequence(input) {
                found = try ImageSequenceSource.expand(input)
            } else {
                throw JobError.noSuchInput(input)
            }
            for path in found where seen.insert(path).inserted { images.append(path) }
        }
        guard !images.isEmpty else { throw JobError.noImages }
        for path in images where !FileManager.default.isReadableFile(atPath: path) { throw JobError.noSuchInput(path) }
        return images
    }

    /// The entries of a list file; relative paths are taken from the list's folder, URLs kept as they are.
    public static func parseList(_ text: String, relativeTo folder: String) -> [String] {
        text.split(whereSeparator: \.isNewline).compactMap { raw in
            let line = raw.trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty, !line.hasPrefix("#") else { return nil }
            if line.hasPrefix("/") || line.contains("://") || folder.isEmpty { return line }
            return folder + "/" + line
        }
    }
}
