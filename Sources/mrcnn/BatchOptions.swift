import ArgumentParser
import Foundation
import Job
import Results

/// `run`'s many-input options: with `-o DIR/` the input is a list (directory, glob or .txt file) and each input
/// gets `DIR/NAME.mp4` + `DIR/NAME.jsonl`; `--shard` splits the list between workers.
struct BatchOptions: ParsableArguments {
    @Option(help: ArgumentHelp("With -o DIR/: take only this worker's part of the sorted input list, INDEX/COUNT (0-based; input k goes to worker k mod COUNT). '/COUNT' takes INDEX from JOB_COMPLETION_INDEX (Kubernetes Indexed Jobs); without --shard, JOB_COMPLETION_INDEX with MRCNN_SHARD_COUNT are used when both are set.", valueName: "index/count"))
    var shard: String?

    /// True when `output` names a directory (ends with "/" or exists as one): one output set per input.
    static func isBatch(output: String) -> Bool {
        var isDirectory: ObjCBool = false
        return output.hasSuffix("/") || (FileManager.default.fileExists(atPath: output, isDirectory: &isDirectory) && isDirectory.boolValue)
    }

    /// One-line errors for options that make no sense with a directory output.
    func check(output: String, json: String?, mot: String?, mots: String?) throws {
        let batch = Self.isBatch(output: output)
        if batch, json != nil || mot != nil || mots != nil {
            throw CLIError("with -o DIR/ every input gets DIR/NAME.mp4 and DIR/NAME.jsonl; --json, --mot and --mots name single files")
        }
        if !batch, shard != nil { throw CLIError("--shard needs a directory output (-o DIR/) and a list of inputs") }
        if let shard { _ = try ToolEnvironment.shard(shard) }
    }
}

extension RunCommand {
    /// Runs every input of this worker's shard that is not done yet, one after the other; an interrupted or
    /// killed input is resumed. Exit status 1 when any input failed, 130 when interrupted.
    func runBatch() async throws {
        let (items, shard): ([BatchPlan.Item], ShardPlan)
        do {
            shard = try ToolEnvironment.shard(batch.shard)
            items = BatchPlan(inputs: shard.select(try InputList.expand(job.input)), directory: job.output).items
            try FileManager.default.createDirectory(atPath: job.output, withIntermediateDirectories: true)
        } catch {
            StandardError.report(error)
            throw ExitCode.failure
        }
        let worker = shard.count > 1 ? " (shard \(shard.index)/\(shard.count))" : ""
        StandardError.write("mrcnn: \(items.count) inputs\(worker) → \(job.output)\n")
        var failed: [String] = []
        for (n, item) in items.enumerated() {
            let tag = "[\(n + 1)/\(items.count)] \(item.input)"
            if item.isDone {
                StandardError.write("mrcnn: \(tag): done already\n")
                continue
            }
            StandardError.write("mrcnn: \(tag) → \(item.video)\n")
            var video = makeJob(input: item.input, output: item.video, results: ResultsPaths(json: item.json))
            video.resume = true
            do { try await JobConsole.run(video) } catch let exit as ExitCode where exit.rawValue == 130 {
                throw exit
            } catch {
                failed.append(item.input)
            }
        }
        if !failed.isEmpty {
            StandardError.write("mrcnn: error: \(failed.count) of \(items.count) inputs failed: \(failed.joined(separator: ", "))\n")
            throw ExitCode.failure
        }
    }
}
