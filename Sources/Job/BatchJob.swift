import Foundation
import Results

/// Many inputs, one after the other (`mrcnn run LIST -o DIR/`): the list (a directory of videos, a glob or a .txt
/// list) expanded and sorted, this worker's part of it (`shard`), and for each input `template` run with its input,
/// `DIR/NAME.mp4`, `DIR/NAME.jsonl` and resume on. Inputs already done are skipped, an interrupted or killed one is
/// resumed, a failing one is counted and the rest still run; a stop ends the batch after the current input.
/// `log` gets one line per input. A value you configure and `run` from any task.
public struct BatchJob {
    public var list: String
    public var directory: String
    public var shard = ShardPlan.all
    /// The job every input runs; its input, output, JSON Lines path and `resume` are set per input.
    public var template: VideoJob
    public var log: (String) -> Void = { _ in }

    public init(list: String, directory: String, template: VideoJob) {
        self.list = list
        self.directory = directory
        self.template = template
    }

    /// What a batch did.
    public struct Report: Sendable {
        public let inputs: Int
        /// Inputs whose job failed (each failure was reported by the runner).
        public let failed: [String]
        /// True when a job was interrupted: the batch stopped there.
        public let interrupted: Bool
    }

    /// True when `output` names a directory (ends with "/" or exists as one): a batch, one output set per input.
    public static func isDirectoryOutput(_ output: String) -> Bool {
        var isDirectory: ObjCBool = false
        return output.hasSuffix("/") || (FileManager.default.fileExists(atPath: output, isDirectory: &isDirectory) && isDirectory.boolValue)
    }

    /// This worker's inputs and their outputs.
    public func items() throws -> [BatchPlan.Item] {
        BatchPlan(inputs: shard.select(try InputList.expand(list)), directory: directory).items
    }

    /// The job for one item.
    public func job(for item: BatchPlan.Item) -> VideoJob {
        var job = template
        job.input = item.input
        job.output = item.video
        job.results.json = item.json
        job.resume = true
        return job
    }

    /// Checks the list, the chain and the options (on the first input) without writing anything (the outputs'
    /// directory is made when the batch starts).
    public func check() throws {
        guard let first = try items().first else { throw JobError.noInputs(list) }
        var job = job(for: first)
        job.results = ResultsPaths()
        try job.check()
    }

    /// Runs every input not done yet through `each` (which runs the job and reports it, e.g. with progress on a
    /// console); a thrown error counts the input as failed.
    public func run(_ each: (VideoJob) async throws -> JobReport) async throws -> Report {
        let items = try items()
        guard !items.isEmpty else { throw JobError.noInputs(list) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let worker = shard.count > 1 ? " (shard \(shard.index)/\(shard.count))" : ""
        log("\(items.count) inputs\(worker) → \(directory)")
        var failed: [String] = []
        for (n, item) in items.enumerated() {
            let tag = "[\(n + 1)/\(items.count)] \(item.input)"
            if item.isDone {
                log("\(tag): done already")
                continue
            }
            log("\(tag) → \(item.video)")
            do {
                if try await each(job(for: item)).interrupted {
                    return Report(inputs: items.count, failed: failed, interrupted: true)
                }
            } catch {
                failed.append(item.input)
            }
        }
        return Report(inputs: items.count, failed: failed, interrupted: false)
    }
}
