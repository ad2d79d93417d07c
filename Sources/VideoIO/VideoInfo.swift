/// What a source knows about its video stream (time base is the stream's); a plain value, safe on any thread.
public struct VideoInfo: Sendable {
    /// The upright (display) size: the stored picture turned by `rotation`.
    public let width: Int
    public let height: Int
    /// Clockwise degrees (0, 90, 180, 270) the stored pictures are turned by so frames come out upright.
    public let rotation: Int
    /// Numerator of the stream time base in which `DecodedFrame.pts` is counted.
    public let timeBaseNum: Int32
    /// Denominator of the stream time base in which `DecodedFrame.pts` is counted.
    public let timeBaseDen: Int32
    /// Average frames per second (0 when FFmpeg cannot tell, e.g. some live streams).
    public let averageFrameRate: Double
    /// Seconds, when the container says.
    public let duration: Double?
    /// From the container's frame count, else duration × rate; nil when neither is known.
    public let estimatedFrameCount: Int?
    /// True when the input has at least one audio stream.
    public let hasAudio: Bool
    /// FFmpeg's short codec name of the video stream, e.g. "h264".
    public let codecName: String

    public init(width: Int, height: Int, timeBaseNum: Int32, timeBaseDen: Int32, averageFrameRate: Double,
                duration: Double?, estimatedFrameCount: Int?, hasAudio: Bool, codecName: String, rotation: Int = 0) {
        self.width = width
        self.height = height
        self.rotation = rotation
        self.timeBaseNum = timeBaseNum
        self.timeBaseDen = timeBaseDen
        self.averageFrameRate = averageFrameRate
        self.duration = duration
        self.estimatedFrameCount = estimatedFrameCount
        self.hasAudio = hasAudio
        self.codecName = codecName
    }

    /// The time base as seconds per tick.
    public var timeBase: Double { timeBaseDen == 0 ? 0 : Double(timeBaseNum) / Double(timeBaseDen) }
}

/// One decoded video frame as packed RGB24 (row stride = width*3) with its presentation timestamp in the stream time base.
public struct DecodedFrame: Sendable {
    /// 0-based position in decode output order (= presentation order).
    public let index: Int
    /// Presentation timestamp in the stream time base (`VideoInfo.timeBaseNum/timeBaseDen`).
    public let pts: Int64
    /// Seconds since the stream start (the first frame is about 0).
    public let time: Double
    public let width: Int
    public let height: Int
    /// width*height*3 bytes, R,G,B per pixel, rows top to bottom; empty when the conversion was deferred (`pending`).
    public let rgb: [UInt8]
    /// A read with the conversion deferred (`FrameSource.nextFrame(deferringConversion:)`): the picture still to convert.
    public let pending: PendingPicture?

    public init(index: Int, pts: Int64, time: Double, width: Int, height: Int, rgb: [UInt8], pending: PendingPicture? = nil) {
        self.index = index
        self.pts = pts
        self.time = time
        self.width = width
        self.height = height
        self.rgb = rgb
        self.pending = pending
    }
}
