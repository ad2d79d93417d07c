/// One-line, user-facing errors of the VideoIO module; every case names the file (or URL) it concerns.
public enum VideoIOError: Error, CustomStringConvertible, Sendable {
    /// The path does not exist.
    case fileNotFound(path: String)
    /// A camera device path (/dev/videoN) that does not exist; `available` lists the devices that do.
    case deviceNotFound(path: String, available: [String])
    /// The file exists but holds no bytes.
    case emptyFile(path: String)
    /// FFmpeg could not open or recognise the input (not a media file, unreadable, damaged header, ...).
    case cannotOpen(path: String, reason: String)
    /// The input opened but has no video stream (audio-only file, data file, ...).
    case noVideoStream(path: String)
    /// No decoder (or encoder) for this codec is available in the installed FFmpeg.
    case codecUnavailable(path: String, codec: String)
    /// The input ended with read errors: it is cut short or damaged. Frames before the damage were delivered.
    case truncated(path: String, framesDecoded: Int)
    /// An image file that decodes to no picture.
    case noImage(path: String)
    /// An image file that ends before its picture does (PIL: "image file is truncated").
    case truncatedImage(path: String)
    /// The output file cannot be created (missing directory, no permission, ...).
    case cannotCreateOutput(path: String, reason: String)
    /// A frame handed to a sink has the wrong size or timestamp.
    case invalidFrame(path: String, reason: String)
    /// The sink was used after `finish()`.
    case sinkFinished(path: String)
    /// The file declares a picture larger than `FrameLimits.maxSide` on a side.
    case tooLarge(path: String, width: Int, height: Int, limit: Int)
    /// Any other FFmpeg failure: which step failed and FFmpeg's own message.
    case ffmpeg(path: String, operation: String, reason: String)

    public var description: String {
        switch self {
        case .fileNotFound(let path):
            return "\(path): no such file"
        case .deviceNotFound(let path, let available):
            let present = available.isEmpty ? "no camera devices found" : "cameras present: " + available.joined(separator: ", ")
            return "\(path): no such camera device (\(present))"
        case .emptyFile(let path):
            return "\(path): file is empty (0 bytes)"
        case .cannotOpen(let path, let reason):
            return "\(path): cannot open as video (\(reason))"
        case .noVideoStream(let path):
            return "\(path): contains no video stream"
        case .codecUnavailable(let path, let codec):
            return "\(path): codec '\(codec)' is not available in this FFmpeg build"
        case .truncated(let path, let framesDecoded):
            return "\(path): file is truncated or damaged; decoding stopped after \(framesDecoded) frames"
        case .noImage(let path):
            return "\(path): contains no decodable image"
        case .truncatedImage(let path):
            return "\(path): image file is truncated (it ends before its picture does)"
        case .cannotCreateOutput(let path, let reason):
            return "\(path): cannot create output file (\(reason))"
        case .invalidFrame(let path, let reason):
            return "\(path): invalid frame: \(reason)"
        case .sinkFinished(let path):
            return "\(path): cannot write after finish()"
        case .tooLarge(let path, let width, let height, let limit):
            return "\(path): declares a \(width)×\(height) picture, larger than the limit of \(limit) pixels a side"
        case .ffmpeg(let path, let operation, let reason):
            return "\(path): \(operation) failed (\(reason))"
        }
    }
}
