import Pipeline

/// The results files of one run (JSON Lines, MOTChallenge, MOTS), written frame by frame next to the video sink.
/// Each frame's lines go to the file in one `write(2)`, so after Ctrl-C (or a crash) the files hold every frame
/// that reached the sink. A file named `-` is standard output: once its reader goes away (a closed pipe) it is
/// dropped and `readerGone` is set, the other files go on. Used from one task (the pipeline's sink).
public final class ResultsWriters {
    private var json: LineFile?
    private var mot: LineFile?
    private var mots: LineFile?
    private let timing: Bool
    /// Standard output's reader went away (the run should end: nobody reads what it writes there).
    public private(set) var readerGone = false

    /// Creates the files named in `paths`; `append` continues existing ones (a resumed run).
    public init(_ paths: ResultsPaths, append: Bool = false) throws {
        json = try paths.json.map { try LineFile(path: $0, append: append) }
        mot = try paths.mot.map { try LineFile(path: $0, append: append) }
        mots = try paths.mots.map { try LineFile(path: $0, append: append) }
        timing = paths.timing
    }

    /// Appends `record`'s results to every open file.
    public func write(_ record: FrameRecord) throws {
        try write(&json) { [ResultsFormat.jsonLine(record, timing: timing)] }
        try write(&mot) { ResultsFormat.motLines(record) }
        try write(&mots) { ResultsFormat.motsLines(record) }
    }

    private func write(_ file: inout LineFile?, _ lines: () -> [String]) throws {
        guard let open = file else { return }
        let lines = lines()
        guard !lines.isEmpty else { return }
        do { try open.write(lines.joined(separator: "\n") + "\n") } catch ResultsError.readerGone {
            readerGone = true
            file = nil
        }
    }

    /// Closes the files (idempotent).
    public func close() {
        json?.close()
        mot?.close()
        mots?.close()
        json = nil
        mot = nil
        mots = nil
    }
}
