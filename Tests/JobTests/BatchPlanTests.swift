import Foundation
import Testing
import Job

/// Many inputs, many workers: list expansion, shard assignment and output naming.
@Suite struct BatchPlanTests {
    @Test func shardsCoverTheListExactlyOnce() throws {
        let items = (0..<23).map { "clip\($0)" }
        for count in 1...5 {
            let parts = try (0..<count).map { try ShardPlan(index: $0, count: count).select(items) }
            #expect(parts.flatMap { $0 }.sorted() == items.sorted())
            #expect(Set(parts.flatMap { $0 }).count == items.count)
            #expect(parts.map(\.count).max()! - parts.map(\.count).min()! <= 1)
        }
    }

    @Test func shardComesFromTheFlagOrTheIndexedJobVariable() throws {
        #expect(try ShardPlan.resolve("2/3") == ShardPlan(index: 2, count: 3))
        #expect(try ShardPlan.resolve("/4", completionIndex: "3") == ShardPlan(index: 3, count: 4))
        #expect(try ShardPlan.resolve(nil, completionIndex: "1", shardCount: "2") == ShardPlan(index: 1, count: 2))
        #expect(try ShardPlan.resolve(nil, completionIndex: "1") == .all)
        for bad in ["3/3", "-1/2", "1", "a/b", "1/0", "/2"] {
            #expect(throws: JobError.self) { try ShardPlan.resolve(bad) }
        }
    }

    @Test func listsExpandSortedFromDirectoriesGlobsAndTextFiles() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("inputs-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir + "/sub", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for name in ["b.mp4", "a.MOV", "notes.txt", "c.mkv"] { _ = FileManager.default.createFile(atPath: dir + "/" + name, contents: Data()) }
        #expect(try InputList.expand(dir) == [dir + "/a.MOV", dir + "/b.mp4", dir + "/c.mkv"])
        #expect(try InputList.expand(dir + "/*.m*") == [dir + "/b.mp4", dir + "/c.mkv"])
        let list = dir + "/sub/list.txt"
        try "# inputs\n../b.mp4\n\nrtsp://cam/1\n/abs/x.mp4\n../b.mp4\n".write(toFile: list, atomically: true, encoding: .utf8)
        #expect(try InputList.expand(list) == ["/abs/x.mp4", dir + "/sub/../b.mp4", "rtsp://cam/1"])
        #expect(throws: JobError.self) { try InputList.expand(dir + "/*.none") }
    }

    @Test func outputSetsAreNamedAfterTheInputs() {
        let plan = BatchPlan(inputs: ["/v/a.mp4", "/w/a.mp4", "/v/b c.mov", "rtsp://h/live?x=1"], directory: "/out")
        #expect(plan.items[2].video == "/out/b_c.mp4")
        #expect(plan.items[2].json == "/out/b_c.jsonl")
        #expect(plan.items[3].video == "/out/live.mp4")
        #expect(plan.items[0].video != plan.items[1].video)
        #expect(plan.items[0].video.hasPrefix("/out/a-"))
    }
}
