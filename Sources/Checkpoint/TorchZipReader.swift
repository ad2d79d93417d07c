import Foundation
import ZIPFoundation

/// Reads torch's zip checkpoint layout (torch.save since PyTorch 1.6): `<archive>/data.pkl` (the object
/// pickle with storage persistent ids), `<archive>/data/<key>` (raw little-endian storages), `<archive>/version`.
/// Storages are extracted one at a time, so at most one raw storage is held next to the result.
/// Zip bombs are refused: a record count cap, no compressed records, declared sizes checked against the limits
/// and the file, and extraction stopped at the declared size.
enum TorchZipReader {
    /// `bytes` is the file's mapping, checked by `ZipPrecheck` before ZIPFoundation opens `path`.
    static func read(path: String, bytes: UnsafeRawBufferPointer, limits: CheckpointLimits) throws -> StateDict {
        try ZipPrecheck.validate(bytes)
        return try read(limits: limits, fileSize: bytes.count) {
            try Archive(url: URL(fileURLWithPath: path), accessMode: .read)
        }
    }

    private static func read(limits: CheckpointLimits, fileSize: Int, open: () throws -> Archive) throws -> StateDict {
        let archive: Archive
        do {
            archive = try open()
        } catch Archive.ArchiveError.missingEndOfCentralDirectoryRecord {
            throw CheckpointError.truncated(expected: "a zip end-of-central-directory record at the end of the file "
                + "(the zip is cut short)")
        } catch {
            throw CheckpointError.malformed("unreadable zip archive (\(error))")
        }
        var reader = ZipRecords(archive: archive, limits: limits, fileSize: fileSize)

        // One pass over the central directory (Archive's subscript rescans it on every lookup).
        var records: [String: Entry] = [:]
        var pickleEntry: Entry?
        var count = 0
        for entry in archive where entry.type == .file {
            count += 1
            if count > limits.maxZipEntries {
                throw CheckpointLimits.exceeded("zip archive of more than \(limits.maxZipEntries) records "
                    + "(limit maxZipEntries)")
            }
            let p = entry.path
            if records[p] == nil { records[p] = entry }
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
            let text = String(decoding: try reader.extract(order, cap: 64), as: UTF8.self)
            if text.trimmingCharacters(in: .whitespacesAndNewlines) == "big" {
                throw CheckpointError.malformed("big-endian checkpoint is not supported")
            }
        }

        let pickle = try reader.extract(pickleEntry, cap: limits.maxPickleBytes, capName: "maxPickleBytes")
        let entries = try pickle.withUnsafeBytes { bytes in
            var machine = PickleMachine(bytes: bytes, limits: limits) { pid in
                .storage(try TorchRebuild.storage(fromPersistentID: pid))
            }
            let root = try machine.run().value
            defer { PickleValue.dismantle([root]) }
            return try StateDictPickle.tensors(in: root, limits: limits)
        }

        return try StateDictPickle.materialize(entries, limits: limits) { ref, use in
            guard let entry = records[prefix + "data/" + ref.key] else { throw CheckpointError.missingStorage(key: ref.key) }
            let (needed, overflow) = ref.rootCount.multipliedReportingOverflow(by: ref.dtype.byteSize)
            guard !overflow, entry.uncompressedSize >= UInt64(needed) else {
                throw CheckpointError.truncated(expected: "\(ref.rootCount) elements of \(ref.dtype) in storage record "
                    + "'\(entry.path)', found \(entry.uncompressedSize) bytes")
            }
            let data = try reader.extract(entry, cap: limits.maxTotalBytes, capName: "maxTotalBytes")
            try data.withUnsafeBytes { try use($0) }
        }
    }
}

/// Extracts zip records under the bomb checks, counting every extracted byte against `maxTotalBytes`.
private struct ZipRecords {
    let archive: Archive
    let limits: CheckpointLimits
    let fileSize: Int
    var extracted = 0

    /// One record's bytes (torch stores records uncompressed; deflated ones work too).
    mutating func extract(_ entry: Entry, cap: Int, capName: String = "") throws -> Data {
        let declared = entry.uncompressedSize, packed = entry.compressedSize
        if declared > UInt64(cap) {
            throw capName.isEmpty
                ? CheckpointError.malformed("zip record '\(entry.path)' of \(declared) bytes (at most \(cap) expected)")
                : CheckpointLimits.exceeded("zip record '\(entry.path)' declares \(declared) bytes "
                    + "(limit \(capName) \(cap))")
        }
        let size = Int(declared)
        // torch.save stores every record uncompressed. A deflated one is refused whatever its ratio: it is how a
        // zip bomb is built, and ZIPFoundation 0.9.20's Linux inflater never returns on a deflate stream that
        // runs into the end of the file (it calls us back no more, so it could not be stopped).
        if entry.isCompressed {
            throw CheckpointLimits.exceeded("zip record '\(entry.path)' is compressed (\(packed) bytes declared to "
                + "expand to \(size)); torch.save never compresses, so compressed records are refused (zip bombs)")
        }
        if size > fileSize {
            throw CheckpointError.truncated(expected: "\(size) stored bytes of zip record '\(entry.path)', "
                + "the file has \(fileSize)")
        }
        let (total, overflow) = extracted.addingReportingOverflow(size)
        if overflow || total > limits.maxTotalBytes {
            throw CheckpointLimits.exceeded("zip records extracted past \(limits.maxTotalBytes) bytes "
                + "(limit maxTotalBytes)")
        }
        extracted = total

        var data = Data()
        data.reserveCapacity(size)
        var overrun = false, emptyChunks = 0
        do {
            _ = try archive.extract(entry, bufferSize: 1 << 20, skipCRC32: true) { chunk in
                // An empty chunk past the first means the reader hit the end of the file: stop it there
                // (ZIPFoundation would keep asking for the size the central directory declares).
                if chunk.isEmpty { emptyChunks += 1 }
                guard chunk.count <= size - data.count, emptyChunks <= 1 else {
                    overrun = !chunk.isEmpty
                    throw CheckpointError.malformed("stop")
                }
                data.append(chunk)
            }
        } catch {
            if overrun {
                throw CheckpointLimits.exceeded("zip record '\(entry.path)' holds more than its declared \(size) bytes "
                    + "(the central directory and the record disagree)")
            }
            throw CheckpointError.truncated(expected: "\(size) bytes of zip record '\(entry.path)' (\(error))")
        }
        guard data.count == size else {
            throw CheckpointError.truncated(expected: "\(size) bytes of zip record '\(entry.path)', read \(data.count)")
        }
        return data
    }
}
