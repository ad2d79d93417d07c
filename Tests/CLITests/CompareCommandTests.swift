import Foundation
import Testing

/// `mrcnn compare`: the accuracy figures of two results files in one stdout line; bad input is one error line.
@Suite("mrcnn compare")
struct CompareCommandTests {
    @Test("two results files: one line of figures; a file that is no results array: one error line")
    func compare() throws {
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        let a = dir.appendingPathComponent("fp32.json"), b = dir.appendingPathComponent("int8.json")
        try Data(#"[{"image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 0.9}, {"image_id": 1, "category_id": 2, "bbox": [20, 20, 10, 10], "score": 0.8}]"#.utf8).write(to: a)
        try Data(#"[{"image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10.5], "score": 0.85}]"#.utf8).write(to: b)
        let result = try CLIHarness.mrcnn(["compare", a.path, b.path], in: dir)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "found 1 of 2 (50.0 %) at box IoU ≥ 0.9; worst score difference 0.0500\n", "\(result.stdout)")

        let bad = dir.appendingPathComponent("bad.json")
        try Data("{}".utf8).write(to: bad)
        let refused = try CLIHarness.mrcnn(["compare", a.path, bad.path], in: dir)
        #expect(refused.status != 0 && refused.stderrLines.count == 1 && refused.stderr.contains("bad.json"), "\(refused.stderr)")
        let none = try CLIHarness.mrcnn(["compare", b.path, a.path, "--cut", "0.95"], in: dir)
        #expect(none.status != 0 && none.stderr.contains("nothing to compare"), "\(none.stderr)")
        let range = try CLIHarness.mrcnn(["compare", a.path, b.path, "--iou", "0"], in: dir)
        #expect(range.status != 0 && range.stderr.contains("--iou"), "\(range.stderr)")
    }
}
