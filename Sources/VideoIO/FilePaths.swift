/// Path arithmetic that Foundation on Linux gets wrong: `NSString.deletingLastPathComponent` traps (SIGILL) on any
/// one-character path such as "o". Pure functions on path strings.
public enum FilePaths {
    /// The folder part of `path` ("" for a bare name, "/" for a file in the root), as deletingLastPathComponent
    /// would give it: "a/b/c.mp4" → "a/b", "o" → "", "/o" → "/", "d/" → "".
    public static func directory(of path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "" }
        if slash == trimmed.startIndex { return "/" }
        var folder = trimmed[..<slash]
        while folder.count > 1 && folder.hasSuffix("/") { folder = folder.dropLast() }
        return String(folder)
    }
}
