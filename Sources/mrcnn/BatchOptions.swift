import ArgumentParser
import Job

/// `run`'s many-input options: with `-o DIR/` one input is a list (directory, glob or .txt file) run one after another
/// (`BatchJob`; `--shard` splits it between workers), several inputs (or the list with `--together`) run together
/// (`MultiStreamJob`); each input gets `DIR/NAME.mp4` + `DIR/NAME.jsonl`.
struct BatchOptions: ParsableArguments {
    @Option(help: ArgumentHelp("With -o DIR/: take only this worker's part of the sorted input list, INDEX/COUNT (0-based; input k goes to worker k mod COUNT). '/COUNT' takes INDEX from JOB_COMPLETION_INDEX (Kubernetes Indexed Jobs); without --shard, JOB_COMPLETION_INDEX with MRCNN_SHARD_COUNT are used when both are set.", valueName: "index/count"))
    var shard: String?

    @Flag(help: "With -o DIR/ and one list (directory, glob or .txt): run its inputs together, one model for all (as several inputs do), instead of one after another.")
    var together = false
    @Option(name: .customLong("stream-option"), help: ArgumentHelp("One stream's own setting, NAME.OPTION=VALUE, repeatable: target-fps (its frame-rate target) or weight (its batch slots against weight 1).", valueName: "name.option=value"))
    var streamOptions: [String] = []

    /// One-line errors for options that make no sense with a directory output or with inputs run together.
    func check(_ job: JobOptions, mot: String?, mots: String?) throws {
        let (batch, many) = (job.directory != nil, job.inputs.count > 1 || together)
        if together, job.inputs.count > 1 { throw CLIError("--together takes one list of inputs; several inputs run together anyway") }
        if many, !batch { throw CLIError("inputs run together write DIR/NAME.mp4 and DIR/NAME.jsonl each: give -o DIR/") }
        if batch, (!many && job.json != nil) || mot != nil || mots != nil {
            throw CLIError("with -o DIR/ every input gets DIR/NAME.mp4 and DIR/NAME.jsonl; --json, --mot and --mots name single files" + (many ? " (--json: the combined lines of inputs run together)" : ""))
        }
        if shard != nil, !batch || many { throw CLIError("--shard needs a directory output (-o DIR/) and a list of inputs run one after another") }
    }
}
