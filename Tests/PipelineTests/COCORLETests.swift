import Foundation
import Pipeline
import Testing

/// One case of `Fixtures/rle_cases.json`, written by tools/reference/make_rle_fixtures.py with pycocotools
/// (the file's header documents the format).
struct RLECase: Decodable, Sendable, CustomTestStringConvertible {
    struct Crop: Decodable, Sendable {
        var x: Int
        var y: Int
        var width: Int
        var height: Int
        /// One hex string per row: the row's bits packed most significant bit first, last byte zero-padded.
        var rows: [String]
    }

    var name: String
    var height: Int
    var width: Int
    var crop: Crop?
    var counts: String
    var area: Int
    var runs: [Int]

    var testDescription: String { name }

    /// The crop as an `InstanceMask` (nil for the no-mask case), unpacked from the hex rows.
    func mask() throws -> InstanceMask? {
        guard let crop else { return nil }
        try #require(crop.rows.count == crop.height, "\(name): row count")
        var bits: [UInt8] = []
        bits.reserveCapacity(crop.width * crop.height)
        for row in crop.rows {
            let bytes = try RLECase.hexBytes(row)
            try #require(bytes.count == (crop.width + 7) / 8, "\(name): row length")
            for i in 0..<crop.width {
                bits.append((bytes[i / 8] >> (7 - UInt8(i % 8))) & 1)
            }
        }
        return InstanceMask(x: crop.x, y: crop.y, width: crop.width, height: crop.height, bits: bits)
    }

    static func hexBytes(_ s: String) throws -> [UInt8] {
        let digits = Array(s.utf8)
        try #require(digits.count % 2 == 0)
        func nibble(_ c: UInt8) throws -> UInt8 {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            default: throw RLEFixtureError.badHex(s)
            }
        }
        return try stride(from: 0, to: digits.count, by: 2).map { try nibble(digits[$0]) << 4 | nibble(digits[$0 + 1]) }
    }
}

enum RLEFixtureError: Error { case missing, badHex(String) }

enum RLEFixtures {
    struct File: Decodable { var cases: [RLECase] }

    static func load() throws -> [RLECase] {
        guard let url = Bundle.module.url(forResource: "rle_cases", withExtension: "json", subdirectory: "Fixtures") else {
            throw RLEFixtureError.missing
        }
        return try JSONDecoder().decode(File.self, from: Data(contentsOf: url)).cases
    }

    /// Empty when the file can't be read; `fixturesLoad` then fails instead of the parameterised tests silently passing.
    static let cases: [RLECase] = (try? load()) ?? []
}

@Suite("COCORLETests")
struct COCORLETests {
    @Test func fixturesLoad() throws {
        let cases = try RLEFixtures.load()
        #expect(cases.count == 21)
        // The compressed format's corner cases are present: runs > 2^15 and deltas below -2^15 (multi-group, negative).
        #expect(cases.contains { $0.runs.contains { $0 > 1 << 15 } })
        #expect(cases.contains { c in c.runs.indices.dropFirst(3).contains { c.runs[$0] - c.runs[$0 - 2] < -(1 << 15) } })
        #expect(cases.contains { $0.crop == nil })
    }

    @Test(arguments: RLEFixtures.cases)
    func encodeMatchesPycocotools(_ c: RLECase) throws {
        let encoded = COCORLE.encode(try c.mask(), height: c.height, width: c.width)
        #expect(encoded.size == [c.height, c.width])
        #expect(encoded.counts == c.counts)
    }

    @Test(arguments: RLEFixtures.cases)
    func runsMatchPycocotools(_ c: RLECase) throws {
        let runs = COCORLE.runs(try c.mask(), height: c.height, width: c.width)
        #expect(runs == c.runs)
        #expect(runs.reduce(0, +) == c.height * c.width)
        #expect(stride(from: 1, to: runs.count, by: 2).reduce(0) { $0 + runs[$1] } == c.area)
    }

    @Test(arguments: RLEFixtures.cases)
    func compressAndDecompressRoundTrip(_ c: RLECase) {
        #expect(COCORLE.decompress(c.counts) == c.runs)
        #expect(COCORLE.compress(c.runs) == c.counts)
    }

    @Test(arguments: RLEFixtures.cases.filter { $0.counts.utf8.count >= 2 })
    func malformedCountsAreRejected(_ c: RLECase) {
        let bytes = Array(c.counts.utf8)
        let middle = bytes.count / 2
        // A byte below 48 ('0') at the start, in the middle, and at the end.
        for bad: UInt8 in [47, 32, 0] {
            for at in [0, middle, bytes.count] {
                var b = bytes
                b.insert(bad, at: at)
                #expect(COCORLE.decompress(String(decoding: b, as: UTF8.self)) == nil, "\(c.name): byte \(bad) at \(at)")
            }
        }
    }

    @Test func malformedStrings() {
        #expect(COCORLE.decompress("/") == nil)
        #expect(COCORLE.decompress("01 1") == nil)
        #expect(COCORLE.decompress("m6\n") == nil)
        // A group with the continuation bit (0x20) set as the last byte: the number is cut short.
        #expect(COCORLE.decompress("P") == nil)
        #expect(COCORLE.decompress("01P") == nil)
        // The empty string is no runs at all (pycocotools gives an RLE with zero counts).
        #expect(COCORLE.decompress("") == [])
    }
}
