import CFFmpeg
import Foundation
import Synchronization

/// What kind of input a user named: a file (read at its own pace, every frame) or a live source (a camera
/// device or a network stream, which produces frames in real time whether or not anybody reads them).
public enum VideoInput {
    /// URL schemes read through FFmpeg's network protocols; any of them counts as live.
    public static let liveSchemes = ["rtsp", "rtsps", "rtmp", "rtmps", "http", "https", "udp", "tcp", "rtp", "srt"]

    /// True for V4L2 camera device paths (`/dev/videoN`).
    public static func isDevice(_ input: String) -> Bool { input.hasPrefix("/dev/video") }

    /// True for cameras and for network URLs (`rtsp://`, `http(s)://`, `udp://`, `tcp://`, …); false for files,
    /// `file:` URLs and `pipe:`.
    public static func isLive(_ input: String) -> Bool {
        if isDevice(input) { return true }
        guard let range = input.range(of: "://") else { return false }
        let scheme = input[..<range.lowerBound].lowercased()
        return scheme != "file" && !scheme.isEmpty
    }

    /// The camera device nodes present on this machine (`/dev/video*`), sorted.
    public static func cameraDevices() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/dev")) ?? []
        return names.filter { $0.hasPrefix("video") }.sorted().map { "/dev/" + $0 }
    }
}

/// A flag that aborts FFmpeg's blocking opens and reads of a source (its interrupt callback polls it); thread-safe.
public final class ReadInterrupt: Sendable {
    private let value = Atomic(false)

    public init() {}

    /// Asks every open or read using this flag to return at once; idempotent.
    public func set() { value.store(true, ordering: .releasing) }

    /// True once `set()` was called.
    public var isSet: Bool { value.load(ordering: .acquiring) }
}

/// FFmpeg's interrupt callback: non-zero aborts the blocking call (opaque is an unretained `ReadInterrupt`).
let readInterruptCallback: @convention(c) (UnsafeMutableRawPointer?) -> Int32 = { opaque in
    guard let opaque else { return 0 }
    return Unmanaged<ReadInterrupt>.fromOpaque(opaque).takeUnretainedValue().isSet ? 1 : 0
}

/// Anything that yields decoded frames in presentation order: a `VideoSource`, or a `LiveVideoSource` that
/// reconnects. Read from one thread; `interrupt()` may be called from any thread.
public protocol FrameSource: AnyObject, Sendable {
    /// The file path or URL as given.
    var url: String { get }
    /// The video stream (of the first connection, for live sources).
    var info: VideoInfo { get }
    /// The next frame, or nil at the end (or once interrupted).
    func nextFrame() throws -> DecodedFrame?
    /// The next frame with its RGB conversion deferred (`DecodedFrame.pending`) where the source decodes video; a
    /// source that cannot defer converts at once (the default).
    func nextFrame(deferringConversion: Bool) throws -> DecodedFrame?
    /// Makes a blocked read return at once; the source then ends.
    func interrupt()
    /// Frees the demuxer and decoder.
    func close()
}

extension FrameSource {
    public func nextFrame(deferringConversion: Bool) throws -> DecodedFrame? { try nextFrame() }
}

extension VideoSource: FrameSource {}
