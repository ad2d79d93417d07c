/// Checks a zip's 64-bit (zip64) sizes and offsets against the file before ZIPFoundation reads it.
/// ZIPFoundation 0.9.20 converts such values to `off_t` and adds them unchecked, so a value of 2^63 or more
/// traps (found by the fuzzer). Every 64-bit value must lie within the file; 32-bit values cannot overflow.
/// Mirrors ZIPFoundation's search: the end-of-central-directory record nearest the end of the file, and the zip64
/// record both where the locator points and where ZIPFoundation reads it (just before the locator).
enum ZipPrecheck {
    static func validate(_ bytes: UnsafeRawBufferPointer) throws {
        let size = bytes.count
        func u16(_ at: Int) -> Int { Int(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt16.self))) }
        func u32(_ at: Int) -> Int { Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self))) }
        func u64(_ at: Int) -> UInt64 { UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self)) }
        func inFile(_ value: UInt64, _ what: String) throws {
            if value > UInt64(size) {
                throw CheckpointError.malformed("zip64 \(what) \(value) lies beyond the \(size)-byte file")
            }
        }

        var eocd = -1
        var index = 22
        while index <= size {
            if u32(size - index) == 0x0605_4B50 { eocd = size - index; break }
            index += 1
        }
        guard eocd >= 0, eocd + 22 <= size else { return }  // ZIPFoundation reports the missing record itself
        var entries = u16(eocd + 10), directory = u32(eocd + 16)
        if eocd >= 20, u32(eocd - 20) == 0x0706_4B50 {
            let record = u64(eocd - 20 + 8)
            try inFile(record, "end-of-central-directory offset")
            // ZIPFoundation does not follow the locator: it reads the zip64 record at the fixed place just before
            // it (found by the fuzzer: a record there with a 2^64−… directory offset trapped). Check both places;
            // the fixed one's values are the ones ZIPFoundation iterates with.
            let fixed = eocd - 20 - 56
            for at in [Int(record), fixed] where at > 0 && at + 56 <= size && u32(at) == 0x0606_4B50 {
                try inFile(u64(at + 24), "entry count on this disk")
                try inFile(u64(at + 32), "entry count")
                try inFile(u64(at + 40), "central directory size")
                try inFile(u64(at + 48), "central directory offset")
                entries = Int(u64(at + 32))
                directory = Int(u64(at + 48))
            }
        }
        var at = directory
        for _ in 0..<entries {
            guard at + 46 <= size, u32(at) == 0x0201_4B50 else { return }
            let nameLength = u16(at + 28), extraLength = u16(at + 30), commentLength = u16(at + 32)
            var field = at + 46 + nameLength
            let extraEnd = min(field + extraLength, size)
            while field + 4 <= extraEnd {
                let id = u16(field), length = u16(field + 2)
                if id == 0x0001 {
                    var value = field + 4
                    while value + 8 <= min(field + 4 + length, extraEnd) {
                        try inFile(u64(value), "size or offset of a zip record")
                        value += 8
                    }
                }
                field += 4 + length
            }
            at += 46 + nameLength + extraLength + commentLength
        }
    }
}
