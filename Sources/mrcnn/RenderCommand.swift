import ArgumentParser
import Foundation
import Pipeline

/// `mrcnn render INPUT --results RESULTS.jsonl -o OUT.mp4`: re-draws a video from saved results, without the model.
struct RenderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Draw saved results (mrcnn run --json) onto a video, with no model: frames matched by timestamp.")

    @Argument(help: "The video the results were made from.")
    var input: String

    @Option(help: "JSON Lines results written by `mrcnn run --json`.")
    var results: String

    @Option(name: [.short, .customLong("output")], help: "Output MP4 path (never the input).")
    var output: String

    @Option(help: "Draw only instances scoring at least this.")
    var minScore: Double = 0.5

    @Option(help: "Comma-separated classes to draw, by COCO name or id (e.g. person,car or 1,3). Default: all.")
    var classes: String?

    @Option(help: "Stop after this many frames.")
    var maxFrames: Int?

    @Option(help: "Also write the replayed results (after --classes) as JSON Lines, in the schema of `run --json`.")
    var json: String?

    func run() async throws {
        let outcome: VideoJob.Outcome
        do {
            guard minScore.isFinite else { throw CLIError("--min-score must be a number") }
            if let maxFrames, maxFrames < 1 { throw CLIError("--max-frames must be at least 1 (got \(maxFrames))") }
            guard !output.isEmpty else { throw CLIError("--output must not be empty") }
            let allowed = try classes.map(Self.parseClasses)
            for path in [output] + (json.map { [$0] } ?? []) where VideoJob.samePath(results, path) {
                throw CLIError("output '\(path)' is the results file; refusing to overwrite it")
            }
            let frames = try ResultsReader.load(path: results)
            let replay = ReplayStage(frames: frames, classes: allowed)
            let job = try VideoJob(input: input, output: output, chain: ["render"],
                                   options: ["min-score": String(minScore)], batchSize: 1, maxFrames: maxFrames,
                                   results: ResultsPaths(json: json), leadingStages: [replay])
            outcome = try await job.run()
            if replay.matched == 0 {
                StandardError.write("mrcnn: warning: no frame of \(input) matched a line of \(results) by timestamp\n")
            }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            StandardError.report(error)
            throw ExitCode.failure
        }
        if outcome == .interrupted { throw ExitCode(130) }
    }

    /// COCO category ids from "person,car" or "1,3" (names as `mrcnn run --json` writes them, case-insensitive).
    static func parseClasses(_ text: String) throws -> Set<Int> {
        var ids: Set<Int> = []
        for name in StageRegistry.parseChain(text) {
            if let id = Int(name), id > 0 {
                ids.insert(id)
            } else if let id = COCOCategories.names.firstIndex(where: { $0.lowercased() == name.lowercased() }),
                      id > 0, name != "N/A" {
                ids.insert(id)
            } else {
                throw CLIError("--classes: unknown class '\(name)' (use COCO names such as person, car, or ids)")
            }
        }
        guard !ids.isEmpty else { throw CLIError("--classes must name at least one class") }
        return ids
    }
}

/// Puts each frame's saved instances back on its record: the results line with the same pts, else the one nearest in
/// time within half a frame (half the median spacing of the results' timestamps). Frames without results get none.
final class ReplayStage: Stage, @unchecked Sendable {
    let name = "replay"
    private let byPTS: [Int64: Int]
    private let frames: [ResultsFrame]
    /// Indices into `frames`, sorted by time.
    private let byTime: [Int]
    private let tolerance: Double
    private let classes: Set<Int>?
    private let lock = NSLock()
    private var matchedCount = 0

    init(frames: [ResultsFrame], classes: Set<Int>?) {
        self.frames = frames
        self.classes = classes
        var byPTS: [Int64: Int] = [:]
        for (i, f) in frames.enumerated() where byPTS[f.pts] == nil { byPTS[f.pts] = i }
        self.byPTS = byPTS
        byTime = frames.indices.sorted { frames[$0].time < frames[$1].time }
        let gaps = zip(byTime, byTime.dropFirst()).map { frames[$1].time - frames[$0].time }.filter { $0 > 0 }.sorted()
        tolerance = gaps.isEmpty ? 1e-3 : gaps[gaps.count / 2] / 2
    }

    /// Frames that found their results line.
    var matched: Int { lock.withLock { matchedCount } }

    func process(_ batch: inout [FrameRecord]) throws {
        for i in batch.indices {
            guard let k = lookup(pts: batch[i].pts, time: batch[i].time) else {
                batch[i].instances = []
                continue
            }
            lock.withLock { matchedCount += 1 }
            let saved = frames[k].instances
            batch[i].instances = classes.map { allowed in saved.filter { allowed.contains($0.categoryID) } } ?? saved
        }
    }

    private func lookup(pts: Int64, time: Double) -> Int? {
        if let k = byPTS[pts], abs(frames[k].time - time) <= tolerance { return k }
        // Binary search for the first results time ≥ time, then take the nearer neighbour.
        var lo = 0, hi = byTime.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if frames[byTime[mid]].time < time { lo = mid + 1 } else { hi = mid }
        }
        let candidates = [lo - 1, lo].filter { byTime.indices.contains($0) }.map { byTime[$0] }
        guard let best = candidates.min(by: { abs(frames[$0].time - time) < abs(frames[$1].time - time) }),
              abs(frames[best].time - time) <= tolerance else { return nil }
        return best
    }
}
