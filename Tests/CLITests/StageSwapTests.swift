import Foundation
import Testing

/// Each swap of heads produces the instance fields it promises (checked in the JSON Lines results) and draws
/// them (the annotated frames differ from a render-only pass). Seeded weights for both official layouts.
@Suite("stage swaps", .serialized)
struct StageSwapTests {
    struct Expect {
        let chain: String
        let masks: Bool
        let keypoints: Bool
        let tracks: Bool
        let personsOnly: Bool
    }

    static let cases = [
        Expect(chain: "detector,mask,render", masks: true, keypoints: false, tracks: false, personsOnly: false),
        Expect(chain: "keypoints,render", masks: false, keypoints: true, tracks: false, personsOnly: true),
        Expect(chain: "detector,mask,keypoints,render", masks: true, keypoints: false, tracks: false, personsOnly: false),
        Expect(chain: "detector,mask,tracker,render", masks: true, keypoints: false, tracks: true, personsOnly: false),
        Expect(chain: "keypoints,tracker,render", masks: false, keypoints: true, tracks: true, personsOnly: true),
    ]

    static let model = ["--weights", "seeded:0", "--keypoint-weights", "seeded:0", "--min-size", "128", "--max-size", "200",
                        "--score-threshold", "0.05", "--min-score", "0.05", "--min-hits", "1", "--max-frames", "4"]

    @Test("chain fields and drawing", arguments: cases.indices)
    func swap(index: Int) throws {
        let c = Self.cases[index]
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        let input = dir.appendingPathComponent("clip.mp4")
        try CLIHarness.makeClip(input, seconds: 1, audio: false)
        let out = dir.appendingPathComponent("out.mp4"), json = dir.appendingPathComponent("out.jsonl")
        let result = try CLIHarness.mrcnn(["run", input.path, "-o", out.path, "--stages", c.chain, "--json", json.path] + Self.model, in: dir)
        #expect(result.status == 0, "\(c.chain): \(result.stderr)")
        let frames = try String(contentsOf: json, encoding: .utf8).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
        #expect(frames.count == 4)
        let instances = frames.flatMap { $0["instances"] as? [[String: Any]] ?? [] }
        #expect(!instances.isEmpty, "\(c.chain): no instances")
        #expect(instances.contains { $0["segmentation"] != nil } == c.masks, "\(c.chain): masks")
        if c.keypoints {
            #expect(instances.allSatisfy { ($0["keypoints"] as? [Any])?.count == 51 }, "\(c.chain): 17 [x,y,v] keypoints each")
        } else if !c.chain.contains("keypoints") {
            #expect(instances.allSatisfy { $0["keypoints"] == nil })
        } else {
            // Attached keypoints only ever sit on people.
            #expect(instances.filter { $0["keypoints"] != nil }.allSatisfy { $0["category_id"] as? Int == 1 })
        }
        if c.personsOnly { #expect(instances.allSatisfy { $0["category_id"] as? Int == 1 }) }
        #expect(instances.allSatisfy { $0.keys.contains("track_id") }, "\(c.chain): track_id always present")
        #expect(instances.contains { $0["track_id"] is Int } == c.tracks, "\(c.chain): track ids")

        // Drawing: the annotated video differs from a render-only pass over the same frames.
        let plain = dir.appendingPathComponent("plain.mp4")
        let r = try CLIHarness.mrcnn(["run", input.path, "-o", plain.path, "--stages", "render", "--max-frames", "4"], in: dir)
        #expect(r.status == 0)
        let a = try ExternalPluginTests.frames(out), b = try ExternalPluginTests.frames(plain)
        #expect(a.count == b.count)
        #expect(zip(a, b).filter { abs(Int($0) - Int($1)) > 24 }.count > 200, "\(c.chain): nothing drawn")
    }
}
