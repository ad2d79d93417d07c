/// The largest picture mrcnn decodes or encodes: 16384 pixels a side (H.264's level 6.2 allows 8192; 16k covers
/// every camera and panorama). A file that declares more is refused before any frame is allocated, so a hostile
/// header cannot make the process allocate gigabytes. Pure.
public enum FrameLimits {
    /// Most pixels along either side of a frame or still image.
    public static let maxSide = 16384

    /// Throws `VideoIOError.tooLarge` naming `path` when `width` or `height` exceeds `maxSide`.
    public static func check(width: Int, height: Int, path: String) throws {
        guard width <= maxSide, height <= maxSide else {
            throw VideoIOError.tooLarge(path: path, width: width, height: height, limit: maxSide)
        }
    }
}
