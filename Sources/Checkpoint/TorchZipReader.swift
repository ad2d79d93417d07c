import Foundation
import ZIPFoundation

/// Reads torch's zip checkpoint layout (torch.save since PyTorch 1.6): `<archive>/data.pkl` (the object
/// pickle with storage persistent ids), `<archive>/data/<key>` (raw little-endian storages), `<archive>/version`.
/// Storages are extracted one at a time, so at most one raw storage is held next to the result.
enum TorchZipReader {
    static func read(path: String) throws -> StateDict {
        let archive: Archive
        do {
            archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read)
        } catch Archive.ArchiveError.missingEndOfCentralDirectoryRecord {
            throw CheckpointError.truncated(expected: "a zip end-of-central-directory record at the end of \(path) "
                + "(the zip is cut short)")
        } catch {
            throw CheckpointError.malformed("unreadable zip archive (\(error))")
        }

        // One pass over the central directory (Archive's subscript rescans it on every lookup).
        var records: [String: Entry] = [:]
        var pickleEntry: Entry?
        for entry in archive where entry.type == .file {
            let p = entry.path
            records[p] = entry
            if pickleEntry == nil,
               p == "data.pkl" || (p.hasSuffix("/data.pkl") && !p.dropLast("/data.pkl".count).contains("/")) {
                pickleEntry = entry
            }
        }
        guard let pickleEntry else {
            throw CheckpointError.notACheckpoint(reason: "zip archive without a torch data.pkl record")
        }
        let prefix = String(pickleEntry.path.dropLast("data.pkl".count))
        if let order = records[prefix + "byteorder"] {
            let text = String(decoding: try extract(order, from: archive), as: UTF8.self)
            if text.trimmingCharacters(in: .whitespacesAndNewlines) == "big" {
                throw CheckpointError.malformed("big-endian checkpoint is not supported")
            }
        }

        let pickle = try extract(pickleEntry, from: archive)
        let entries = try pickle.withUnsafeBytes { bytes in
            var machine = PickleMachine(bytes: bytes) { pid in .storage(try TorchRebuild.storage(fromPersistentID: pid)) }
            let root = try machine.run().value
            defer { PickleValue.dismantle([root]) }
            return try StateDictPickle.tensors(in: root)
        }

        return try StateDictPickle.materialize(entries) { ref, use in
            guard let entry = records[prefix + "data/" + ref.key] else { throw CheckpointError.missingStorage(key: ref.key) }
            let needed = ref.rootCount * ref.dtype.byteSize
            guard entry.uncompressedSize >= UInt64(needed) else {
                throw CheckpointError.truncated(expected: "\(needed) bytes in storage record '\(entry.path)', "
                    + "found \(entry.uncompressedSize)")
            }
            let data = try extract(entry, from: archive)
            try data.withUnsafeBytes { try use($0) }
        }
    }

    /// One record's bytes (torch stores records uncompressed; deflated ones work too).
    private static func extract(_ entry: Entry, from archive: Archive) throws -> Data {
        var data = Data()
        data.reserveCapacity(Int(clamping: entry.uncompressedSize))
        do {
            _ = try archive.extract(entry, bufferSize: 1 << 20, skipCRC32: true) { chunk in data.append(chunk) }
        } catch {
            throw CheckpointError.truncated(expected: "\(entry.uncompressedSize) bytes of zip record '\(entry.path)' (\(error))")
        }
        guard data.count == Int(clamping: entry.uncompressedSize) else {
            throw CheckpointError.truncated(expected: "\(entry.uncompressedSize) bytes of zip record '\(entry.path)', "
                + "read \(data.count)")
        }
        return data
    }
}
