import Foundation

/// What one `mrcnn run` command runs, decided from its inputs and outputs: one video job, a list of inputs one after
/// another into a directory (`BatchJob`), or several inputs together with one model (`MultiStreamJob`). Checked
/// before any I/O; run on a console (`ConsoleRun.run(_:)`), which gives the exit status. A plain value.
public enum VideoRun {
    case single(VideoJob)
    case batch(BatchJob)
    case together(MultiStreamJob)

    /// The run's shape: several `inputs` or `together` (one list) run together, a directory output with one input
    /// is a batch, anything else a single job. `template` carries every setting; `directory` is the `DIR/` output;
    /// `streamOptions`: `NAME.OPTION=VALUE` for streams run together (`StreamOptions`), refused for any other run.
    public static func make(inputs: [String], directory: String?, together: Bool, template: VideoJob,
                            shard: ShardPlan = .all, streamOptions: [String] = []) throws -> VideoRun {
        let many = directory != nil && (inputs.count > 1 || together)
        if !many, let first = streamOptions.first { throw StreamOptions.Problem.notTogether(first) }
        guard let directory else { return .single(template) }
        if many {
            let sources = try MultiStreamJob.sources(together ? try InputList.expand(inputs[0]) : inputs)
            return .together(MultiStreamJob(sources: try StreamOptions.apply(streamOptions, to: sources), directory: directory,
                                            template: template))
        }
        var batch = BatchJob(list: inputs[0], directory: directory, template: template)
        batch.shard = shard
        return .batch(batch)
    }

    /// Everything checked before anything is opened or written.
    public func check() throws {
        switch self {
        case .single(let job): try job.check()
        case .batch(let job): try job.check()
        case .together(let job): try job.check()
        }
    }
}

extension ConsoleRun {
    /// Runs `run` on the console and returns the exit status: 0, 1 when an input or stream failed (each failure
    /// written as one `error:` line with `describe`, when it happened), 130 when interrupted. Errors before the
    /// run starts (a bad option, a missing single input) are thrown.
    public func run(_ run: VideoRun, describe: @escaping (any Error) -> String) async throws -> Int32 {
        switch run {
        case .single(let job):
            return try await self.run(job).interrupted ? 130 : 0
        case .batch(var batch):
            batch.log = { [write, prefix] in write(prefix + $0 + "\n") }
            let report = try await batch.run { item in
                do { return try await self.run(item) } catch {
                    write(prefix + "error: " + describe(error).split(whereSeparator: \.isNewline).joined(separator: " ") + "\n")
                    throw error
                }
            }
            if report.interrupted { return 130 }
            guard report.failed.isEmpty else {
                write(prefix + "error: \(report.failed.count) of \(report.inputs) inputs failed: \(report.failed.joined(separator: ", "))\n")
                return 1
            }
            return 0
        case .together(let job):
            let report = try await self.run(job)
            return report.interrupted ? 130 : report.failed.isEmpty ? 0 : 1
        }
    }
}
