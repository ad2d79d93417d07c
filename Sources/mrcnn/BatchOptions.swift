import ArgumentParser
import Foundation
import Job

/// `run`'s many-input options: with `-o DIR/` the input is a list (directory, glob or .txt file) and each input
/// gets `DIR/NAME.mp4` + `DIR/NAME.jsonl` (`BatchJob`); `--shard` splits the list between workers.
struct BatchOptions: ParsableArguments {
    @Option(help: ArgumentHelp("With -o DIR/: take only this worker's part of the sorted input list, INDEX/COUNT (0-based; input k goes to worker k mod COUNT). '/COUNT' takes INDEX from JOB_COMPLETION_INDEX (Kubernetes Indexed Jobs); without --shard, JOB_COMPLETION_INDEX with MRCNN_SHARD_COUNT are used when both are set.", valueName: "index/count"))
    var shard: String?

    /// One-line errors for options that make no sense with a directory output.
    func check(directory: String?, json: String?, mot: String?, mots: String?) throws {
        let batch = directory != nil
        if batch, json != nil || mot != nil || mots != nil {
            throw CLIError("with -o DIR/ every input gets DIR/NAME.mp4 and DIR/NAME.jsonl; --json, --mot and --mots name single files")
        }
        if !batch, shard != nil { throw CLIError("--shard needs a directory output (-o DIR/) and a list of inputs") }
    }

    /// Runs the batch, each input on the console; exit status 1 when any input failed, 130 when interrupted.
    func run(_ job: BatchJob) async throws {
        let report = try await JobConsole.checked { try await job.run { item in try await JobConsole.checked { try await JobConsole.console.run(item) } } }
        if report.interrupted { throw ExitCode(130) }
        if !report.failed.isEmpty {
            StandardError.write("mrcnn: error: \(report.failed.count) of \(report.inputs) inputs failed: \(report.failed.joined(separator: ", "))\n")
            throw ExitCode.failure
        }
    }
}
