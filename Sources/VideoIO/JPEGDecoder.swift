import CTurboJPEG
import Foundation

/// Decodes JPEG files to packed RGB24 with libjpeg-turbo exactly as PIL (`Image.open(p).convert("RGB")`) does:
/// accurate integer IDCT, fancy upsampling, grey replicated to RGB, EXIF orientation not applied here (see
/// `ExifOrientation`). A file that ends before its last scan (or its end marker) is refused as PIL refuses it
/// ("image file is truncated"), unless `acceptTruncated`. Stateless; callable from any thread.
public enum JPEGDecoder {
    /// True when `bytes` start with a JPEG SOI marker (FF D8 FF).
    public static func isJPEG(_ bytes: Data) -> Bool {
        bytes.count >= 3 && bytes[bytes.startIndex] == 0xFF && bytes[bytes.startIndex + 1] == 0xD8
            && bytes[bytes.startIndex + 2] == 0xFF
    }

    /// The picture as width·height·3 RGB bytes; nil for JPEGs TurboJPEG cannot turn into RGB (CMYK/YCCK).
    /// Throws `VideoIOError.noImage` for data that is not a decodable JPEG, `.truncatedImage` for a file cut short
    /// (unless `acceptTruncated`: then `truncated` is set and the rest of the picture is grey).
    public static func decode(_ bytes: Data, path: String, acceptTruncated: Bool = false) throws -> (width: Int, height: Int, rgb: [UInt8])? {
        var truncated = false
        return try decode(bytes, path: path, acceptTruncated: acceptTruncated, truncated: &truncated)
    }

    /// `decode(_:path:acceptTruncated:)`, saying in `truncated` whether an accepted file was cut short.
    public static func decode(_ bytes: Data, path: String, acceptTruncated: Bool,
                              truncated: inout Bool) throws -> (width: Int, height: Int, rgb: [UInt8])? {
        var wasCut = false
        defer { truncated = wasCut }
        guard let handle = tjInitDecompress() else {
            throw VideoIOError.ffmpeg(path: path, operation: "starting the JPEG decoder", reason: "out of memory")
        }
        defer { tjDestroy(handle) }
        return try bytes.withUnsafeBytes { raw -> (Int, Int, [UInt8])? in
            let jpeg = raw.bindMemory(to: UInt8.self).baseAddress!
            var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
            guard tjDecompressHeader3(handle, jpeg, UInt(raw.count), &width, &height, &subsampling, &colorspace) == 0,
                  width > 0, height > 0 else {
                // Cut inside its header: no picture to accept, but say what happened.
                if let message = tjGetErrorStr2(handle), String(cString: message).contains("Premature end") {
                    throw VideoIOError.truncatedImage(path: path)
                }
                throw VideoIOError.noImage(path: path)
            }
            try FrameLimits.check(width: Int(width), height: Int(height), path: path)
            if colorspace == Int32(TJCS_CMYK.rawValue) || colorspace == Int32(TJCS_YCCK.rawValue) { return nil }
            let count = Int(width) * Int(height) * 3
            var failed = false, cut = false
            let rgb = [UInt8](unsafeUninitializedCapacity: count) { out, initialised in
                let status = tjDecompress2(handle, jpeg, UInt(raw.count), out.baseAddress, width, 0, height,
                                           Int32(TJPF_RGB.rawValue), mrcnn_tj_pil_flags())
                // A warning (e.g. extraneous bytes before a marker) still yields the picture, as in PIL; fatal
                // errors fail, and so does libjpeg's "Premature end of JPEG file" (the decoder ran out of data and
                // filled the rest with grey), which PIL reports as a truncated file.
                if status != 0 {
                    if tjGetErrorCode(handle) == Int32(TJERR_FATAL.rawValue) { failed = true }
                    if let message = tjGetErrorStr2(handle), String(cString: message).contains("Premature end") { cut = true }
                }
                initialised = count
            }
            if failed { throw VideoIOError.noImage(path: path) }
            if cut && !acceptTruncated { throw VideoIOError.truncatedImage(path: path) }
            wasCut = cut
            return (Int(width), Int(height), rgb)
        }
    }
}
