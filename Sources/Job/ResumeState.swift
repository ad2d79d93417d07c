import Foundation

/// The sidecar `OUTPUT.mrcnn-state.json` of a crash-safe run: what the outputs were made from (input identity,
/// settings), the video's time origin and the finished video segments of earlier, interrupted attempts. Written
/// before the first frame and after each resume, removed when the run completes. A value; any thread.
public struct ResumeState: Codable, Equatable, Sendable {
    /// The input file as it was: path, size, modification time and a digest of its first MiB.
    public struct Input: Codable, Equatable, Sendable {
        public var path: String
        public var size: Int64
        public var modified: Double
        public var head: String

        public init(path: String, size: Int64, modified: Double, head: String) {
            self.path = path
            self.size = size
            self.modified = modified
            self.head = head
        }
    }

    /// A video segment of an earlier attempt and how many of its frames belong to the output.
    public struct Segment: Codable, Equatable, Sendable {
        public var path: String
        public var frames: Int

        public init(path: String, frames: Int) {
            self.path = path
            self.frames = frames
        }
    }

    public var version = 1
    public var input: Input
    /// Digest of the settings (`ResumeState.settingsDigest`); a resume with other settings is refused.
    public var settings: String
    /// The pts (source time base) shown at output time 0, fixed by the first attempt's first frame.
    public var origin: Int64?
    public var segments: [Segment] = []

    public init(input: Input, settings: String) {
        self.input = input
        self.settings = settings
    }

    /// The sidecar's path for a video output.
    public static func path(for output: String) -> String { output + ".mrcnn-state.json" }

    /// The path of earlier attempt number `n`'s video segment.
    public static func segmentPath(for output: String, number n: Int) -> String { output + ".part\(n).mp4" }

    /// Identity of the input file at `path` (nil for what is not a regular file: streams, devices).
    public static func identify(_ path: String) -> Input? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              (attributes[.type] as? FileAttributeType) == .typeRegular,
              let size = (attributes[.size] as? NSNumber)?.int64Value,
              let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970,
              let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 1 << 20)) ?? Data()
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        return Input(path: absolute, size: size, modified: modified, head: digest(head))
    }

    /// A stable 64-bit FNV-1a digest (hex) of the settings lines, in the order given.
    public static func settingsDigest(_ lines: [String]) -> String {
        digest(Data(lines.joined(separator: "\n").utf8))
    }

    /// 64-bit FNV-1a, hex: change detection, not security.
    public static func digest(_ data: Data) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in data {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return String(hash, radix: 16)
    }

    public static func load(_ path: String) throws -> ResumeState? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try JSONDecoder().decode(ResumeState.self, from: data)
    }

    /// Writes the sidecar atomically (temporary file + rename), so a crash leaves the old or the new one.
    public func save(_ path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
