import Foundation

/// The top-level box layout of an MP4 file, for finding how much of a fragmented MP4 cut short by a crash is
/// whole. Pure apart from `trimToComplete`, which reads box headers and truncates the file.
public enum MP4Boxes {
    /// One top-level box: four-character type, start offset and total size in bytes.
    public struct Box: Equatable, Sendable {
        public let type: String
        public let offset: Int
        public let size: Int
    }

    /// The top-level boxes of a file of `fileSize` bytes, read through `header(offset)` (which returns up to 16
    /// bytes at `offset`). Stops at the first box that is malformed or runs past the end of the file.
    public static func boxes(fileSize: Int, header: (Int) -> [UInt8]) -> [Box] {
        var boxes: [Box] = []
        var offset = 0
        while offset + 8 <= fileSize {
            let h = header(offset)
            guard h.count >= 8 else { break }
            var size = h[0..<4].reduce(0) { $0 << 8 | Int($1) }
            let type = String(decoding: h[4..<8], as: UTF8.self)
            if size == 1 {
                guard h.count >= 16 else { break }
                let large = h[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                guard large <= UInt64(Int.max) else { break }
                size = Int(large)
            } else if size == 0 {
                size = fileSize - offset   // "to the end of the file"
            }
            guard size >= 8, size <= fileSize - offset else { break }
            boxes.append(Box(type: type, offset: offset, size: size))
            offset += size
        }
        return boxes
    }

    /// Bytes of the longest whole prefix: the boxes up to the moov, then every complete box, a moof only together
    /// with the mdat after it. 0 when there is no complete moov.
    public static func completeLength(_ boxes: [Box]) -> Int {
        guard let moov = boxes.firstIndex(where: { $0.type == "moov" }) else { return 0 }
        var end = boxes[moov].offset + boxes[moov].size
        var i = moov + 1
        while i < boxes.count {
            if boxes[i].type == "moof" {
                guard i + 1 < boxes.count, boxes[i + 1].type == "mdat" else { break }
                end = boxes[i + 1].offset + boxes[i + 1].size
                i += 2
            } else {
                end = boxes[i].offset + boxes[i].size   // a regular MP4's mdat, an mfra, …
                i += 1
            }
        }
        return end
    }

    /// Truncates the file at `path` to its whole prefix; returns the new size (0: nothing usable).
    @discardableResult
    public static func trimToComplete(path: String) throws -> Int {
        guard let handle = FileHandle(forUpdatingAtPath: path) else {
            throw VideoIOError.cannotOpen(path: path, reason: "cannot open for updating")
        }
        defer { try? handle.close() }
        let fileSize = Int(try handle.seekToEnd())
        let found = boxes(fileSize: fileSize) { offset in
            (try? handle.seek(toOffset: UInt64(offset))).flatMap { _ in try? handle.read(upToCount: 16) }.map { [UInt8]($0) } ?? []
        }
        let keep = completeLength(found)
        if keep < fileSize { try handle.truncate(atOffset: UInt64(keep)) }
        return keep
    }
}
