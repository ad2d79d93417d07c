import Pipeline

/// The results files of one run (JSON Lines, MOTChallenge, MOTS), written frame by frame next to the video sink.
/// Each frame's lines go to the file in one `write(2)`, so after Ctrl-C (or a crash) the files hold every frame
/// that reached the sink. Used from one task (the pipeline's sink).
public final class ResultsWriters {
    private var json: LineFile?
    private var mot: LineFile?
    private var mots: LineFile?
    private let timing: Bool

    /// Creates the files named in `paths`; `append` continues existing ones (a resumed run).
    public init(_ paths: ResultsPaths, append: Bool = false) throws {
        json = try paths.json.map { try LineFile(path: $0, append: append) }
        mot = try paths.mot.map { try LineFile(path: $0, append: append) }
        mots = try paths.mots.map { try LineFile(path: $0, append: append) }
        timing = paths.timing
    }

    /// Appends `record`'s results to every open file.
    public func write(_ record: FrameRecord) throws {
        try json?.write(ResultsFormat.jsonLine(record, timing: timing) + "\n")
        for (file, lines) in [(mot, mot.map { _ in ResultsFormat.motLines(record) }),
                              (mots, mots.map { _ in ResultsFormat.motsLines(record) })] {
            if let file, let lines, !lines.isEmpty { try file.write(lines.joined(separator: "\n") + "\n") }
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
