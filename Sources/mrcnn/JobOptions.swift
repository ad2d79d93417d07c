import ArgumentParser
import Job

/// The options `run` and `render` share: the input video, the outputs (a file and/or live streams), how many frames,
/// and the JSON Lines results. (What to draw is the `render` stage's `--min-score`, a generated flag.)
struct JobOptions: ParsableArguments {
    @Argument(help: "Input video: a file, a stream URL or /dev/videoN (for `render`: the video the results were made from). For `run` with -o DIR/: several inputs (NAME=INPUT names one) run together, one model for all.")
    var inputs: [String]
    var input: String { inputs[0] }

    @Option(name: [.short, .customLong("output")], help: "Output, repeatable, all from one encode: an MP4 path (never the input), rtmp://HOST/APP/STREAM, srt://HOST:PORT (?mode=listener: players connect to mrcnn), DIR/index.m3u8 (HLS) or - (MPEG-TS on stdout). For `run`, a directory (DIR/) takes a list of inputs (a directory of videos, a glob, a .txt list) and writes DIR/NAME.mp4 + DIR/NAME.jsonl for each.")
    var output: [String]

    @Option(help: "HLS segment length in seconds (a keyframe at least this often).")
    var hlsSegment: Double = 2

    @Option(help: "Stop after this many frames.")
    var maxFrames: Int?

    @Option(help: "Write results as JSON Lines, one line per frame (boxes, classes, scores, RLE masks, keypoints, track ids); - writes them to stdout.")
    var json: String?

    /// The batch directory, when the one output is DIR/.
    var directory: String? { output.count == 1 && BatchJob.isDirectoryOutput(output[0]) ? output[0] : nil }

    /// One-line errors for out-of-range values.
    func check() throws {
        guard !output.contains(where: \.isEmpty) else { throw CLIError("--output must not be empty") }
        guard !inputs.isEmpty else { throw CLIError("an input is required") }
    }
}

/// How still images are read (`detect`'s images, `run`'s image sequences).
struct StillFlags: ParsableArguments {
    @Flag(help: "Keep photos as stored instead of turning them upright per their EXIF orientation (raw pixels, as PIL's Image.open).") var ignoreOrientation = false
    @Flag(help: "Read a JPEG cut short with its missing part grey and a warning (PIL's LOAD_TRUNCATED_IMAGES) instead of refusing it.") var acceptTruncated = false
}
