import Foundation
import Synchronization

/// Still images as a video: a glob (`frames/*.jpg`), a printf pattern (`img_%04d.png`) or a directory of images,
/// in name order, each decoded as `ImageFile.read` decodes stills (JPEG as PIL does, upright per EXIF unless
/// `options` say otherwise), at `frameRate` frames per second (timestamps in 1/frameRate ticks). Every image must
/// have the first one's size. Use from one thread.
public final class ImageSequenceSource: FrameSource, @unchecked Sendable {
    public let url: String
    public let info: VideoInfo
    /// The files, in the order they are read.
    public let paths: [String]
    private var position = 0
    private var pending: (width: Int, height: Int, rgb: [UInt8])?
    private let stopped = Atomic(false)
    private let options: StillImageOptions
    private let warn: @Sendable (String) -> Void

    /// Image file extensions a directory input is read for (case-insensitive).
    public static let extensions: Set<String> = ["jpg", "jpeg", "png", "bmp", "tif", "tiff", "webp", "ppm", "pgm"]

    /// True when `input` names an image sequence: it has glob characters or a `%d`-style number, or it is a
    /// directory. Live inputs and URLs are not sequences.
    public static func isSequence(_ input: String) -> Bool {
        if VideoInput.isLive(input) || input.contains("://") { return false }
        if input.contains("*") || input.contains("?") || input.contains("[") { return true }
        if input.range(of: #"%0?\d*d"#, options: .regularExpression) != nil { return true }
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: input, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    /// The files `input` names, sorted by name; a one-line error when none match.
    public static func expand(_ input: String) throws -> [String] {
        var isDirectory: ObjCBool = false
        let found: [String]
        if FileManager.default.fileExists(atPath: input, isDirectory: &isDirectory), isDirectory.boolValue {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: input)) ?? []
            found = names.filter { extensions.contains(($0 as NSString).pathExtension.lowercased()) }
                .map { (input as NSString).appendingPathComponent($0) }
        } else if let range = input.range(of: #"%0?\d*d"#, options: .regularExpression) {
            // printf numbering: the numbers from the first that exists (0 or 1 … 4) up to the first gap, as FFmpeg.
            let format = String(input[range])
            func name(_ n: Int) -> String { input.replacingCharacters(in: range, with: String(format: format, n)) }
            var paths: [String] = []
            if let start = (0...4).first(where: { FileManager.default.fileExists(atPath: name($0)) }) {
                var n = start
                while FileManager.default.fileExists(atPath: name(n)) { paths.append(name(n)); n += 1 }
            }
            return try nonEmpty(paths, input)
        } else {
            found = Glob.match(input)
        }
        return try nonEmpty(found.sorted { $0.localizedStandardCompare($1) == .orderedAscending }, input)
    }

    private static func nonEmpty(_ paths: [String], _ input: String) throws -> [String] {
        guard !paths.isEmpty else { throw VideoIOError.cannotOpen(path: input, reason: "no image files match") }
        return paths
    }

    /// `warn` hears of each image accepted though cut short (`options.acceptTruncated`).
    public init(pattern: String, frameRate: Double = 25, options: StillImageOptions = StillImageOptions(),
                warn: @escaping @Sendable (String) -> Void = { _ in }) throws {
        url = pattern
        (self.options, self.warn) = (options, warn)
        paths = try Self.expand(pattern)
        let first = try ImageFile.read(path: paths[0], options: options, warn: warn)
        pending = first
        let rate = frameRate > 0 ? frameRate : 25
        info = VideoInfo(width: first.width, height: first.height, timeBaseNum: 1, timeBaseDen: Int32(rate.rounded()),
                         averageFrameRate: rate.rounded(), duration: Double(paths.count) / rate.rounded(),
                         estimatedFrameCount: paths.count, hasAudio: false, codecName: "image sequence")
    }

    public func nextFrame() throws -> DecodedFrame? {
        if stopped.load(ordering: .acquiring) || position >= paths.count { return nil }
        let path = paths[position]
        let image: (width: Int, height: Int, rgb: [UInt8])
        if let first = pending { image = first; pending = nil } else { image = try ImageFile.read(path: path, options: options, warn: warn) }
        guard image.width == info.width, image.height == info.height else {
            throw VideoIOError.invalidFrame(path: path, reason: "is \(image.width)x\(image.height); the sequence started at \(info.width)x\(info.height) (every image of a sequence must have the same size)")
        }
        defer { position += 1 }
        return DecodedFrame(index: position, pts: Int64(position), time: Double(position) / info.averageFrameRate,
                            width: image.width, height: image.height, rgb: image.rgb)
    }

    public func interrupt() { stopped.store(true, ordering: .releasing) }

    public func close() { stopped.store(true, ordering: .releasing) }
}

/// Shell-style glob matching of file paths (`*`, `?`, `[…]` in any component) with the C library's glob(3); any thread.
public enum Glob {
    /// The paths matching `pattern`, in glob(3)'s (sorted) order; [] when none.
    public static func match(_ pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard glob(pattern, 0, nil, &result) == 0 else { return [] }
        return (0..<Int(result.gl_pathc)).compactMap { i in result.gl_pathv[i].map { String(cString: $0) } }
    }
}
