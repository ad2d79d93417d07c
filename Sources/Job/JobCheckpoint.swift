import Foundation
import Pipeline
import Results
import VideoIO

/// Crash-safe outputs and `--resume` for one `VideoJob`: the sidecar state, the video segments of interrupted
/// attempts, the results files cut back to the resume point, and the final join into one `+faststart` MP4.
/// Used from the job's task.
final class JobCheckpoint {
    /// How the run starts: frames before `skip` are already in the outputs.
    struct Start {
        var skip = 0
        var warmup = ResumePoint.Warmup.skip
        var saved: [ResultsFrame] = []
        var origin: Int64?
    }

    let output: String
    let statePath: String
    private var state: ResumeState?

    init(output: String) {
        self.output = output
        statePath = ResumeState.path(for: output)
    }

    /// What a run's outputs depend on besides the input; a resume must match them.
    static func settingsLines(_ job: VideoJob) -> [String] {
        ["chain " + job.chain.joined(separator: ","),
         "leading " + job.leadingStages.map(\.name).joined(separator: ",")]
            + job.options.sorted { $0.key < $1.key }.map { "option \($0.key)=\($0.value)" }
            + ["batch \(job.batchSize)", "max-frames \(job.maxFrames.map(String.init) ?? "-")",
               "json \(job.results.json ?? "-")", "mot \(job.results.mot ?? "-")", "mots \(job.results.mots ?? "-")",
               "plugins " + job.plugins.joined(separator: ",")]
    }

    /// Writes the sidecar for a fresh run, or (when `resume` and a sidecar exists) checks it against this job,
    /// cuts every output back to the last frame all of them hold and returns where to continue.
    func begin(_ job: VideoJob, resume: Bool, plan: JobPlan) throws -> Start {
        let previous = try? ResumeState.load(statePath)
        guard let identity = ResumeState.identify(job.input) else {
            if resume { throw JobError.cannotResume(output: output, reason: "the input is not a file") }
            return Start()
        }
        let settings = ResumeState.settingsDigest(Self.settingsLines(job))
        if resume, let previous {
            guard previous.input == identity else {
                throw JobError.cannotResume(output: output, reason: "the input \(job.input) is not the file the interrupted run read")
            }
            guard previous.settings == settings else {
                throw JobError.cannotResume(output: output, reason: "the settings differ from the interrupted run's")
            }
            if let start = try continuing(previous, job: job, plan: plan) { return start }
        }
        for segment in previous?.segments ?? [] { try? FileManager.default.removeItem(atPath: segment.path) }
        state = ResumeState(input: identity, settings: settings)
        try state?.save(statePath)
        return Start()
    }

    /// The resume proper; nil when nothing usable was written (then the run starts over).
    private func continuing(_ previous: ResumeState, job: VideoJob, plan: JobPlan) throws -> Start? {
        var segments = previous.segments.filter { FileManager.default.fileExists(atPath: $0.path) }
        if FileManager.default.fileExists(atPath: output), try MP4Boxes.trimToComplete(path: output) > 0,
           let frames = try? MP4Join.videoTimestamps(path: output).pts.count, frames > 0 {
            let part = ResumeState.segmentPath(for: output, number: segments.count)
            guard rename(output, part) == 0 else { throw JobError.notWritable(path: part, folder: FilePaths.directory(of: part)) }
            segments.append(.init(path: part, frames: frames))
        }
        let video = segments.reduce(0) { $0 + $1.frames }
        var resultsFrames: [Int] = []
        var jsonText: Data?
        if let json = job.results.json {
            jsonText = FileManager.default.contents(atPath: json) ?? Data()
            resultsFrames.append(ResumePoint.lines(jsonText!, keep: 0).complete)
        }
        let skip = ResumePoint.frame(video: video, results: resultsFrames, keyframeEvery: plan.keyframeEvery)
        guard skip > 0, previous.origin != nil else {
            for segment in segments { try? FileManager.default.removeItem(atPath: segment.path) }
            return nil
        }
        // Each segment keeps frames up to the resume point; the results files are cut there too.
        var left = skip
        var kept: [ResumeState.Segment] = []
        for segment in segments {
            let take = min(left, segment.frames)
            left -= take
            if take > 0 { kept.append(.init(path: segment.path, frames: take)) } else { try? FileManager.default.removeItem(atPath: segment.path) }
        }
        if let json = job.results.json, let jsonText {
            try cut(json, to: ResumePoint.lines(jsonText, keep: skip).bytes)
        }
        for path in [job.results.mot, job.results.mots].compactMap({ $0 }) {
            try cut(path, to: ResumePoint.trackLines(FileManager.default.contents(atPath: path) ?? Data(), keep: skip))
        }
        var start = Start(skip: skip, origin: previous.origin)
        start.warmup = ResumePoint.warmup(traits: plan.traits, haveResults: job.results.json != nil && job.leadingStages.isEmpty)
        if case .replay = start.warmup, let json = job.results.json { start.saved = try ResultsReader.load(path: json) }
        var next = previous
        next.segments = kept
        state = next
        try next.save(statePath)
        return start
    }

    /// After a failed run: a sidecar that holds nothing to resume from (no frame written, no earlier segments) is
    /// removed, so a run that fails before its first frame (a model that does not load) leaves no state behind.
    func abandon() {
        guard let state, state.origin == nil, state.segments.isEmpty else { return }
        try? FileManager.default.removeItem(atPath: statePath)
    }

    /// Records the video's time origin once the first frame is written.
    func noteOrigin(_ origin: Int64?) throws {
        guard var state, state.origin == nil, let origin else { return }
        state.origin = origin
        self.state = state
        try state.save(statePath)
    }

    /// Joins the segments and the finished fragmented output into a regular `+faststart` MP4, with `audio`
    /// copied. A complete run removes the sidecar; an interrupted one keeps it (its video now the joined file,
    /// which a later `--resume` takes as its first segment).
    func finish(interrupted: Bool, audio: MP4Join.Audio?) throws {
        let earlier = state?.segments ?? []
        try MP4Join.join(earlier.map { MP4Join.Segment(path: $0.path, frames: $0.frames) } + [.init(path: output)],
                         audio: audio, into: output)
        for segment in earlier { try? FileManager.default.removeItem(atPath: segment.path) }
        if interrupted, var state {
            state.segments = []
            try state.save(statePath)
        } else {
            try? FileManager.default.removeItem(atPath: statePath)
        }
    }

    /// Truncates `path` to `bytes`.
    private func cut(_ path: String, to bytes: Int) throws {
        guard let handle = FileHandle(forUpdatingAtPath: path) else { return }
        defer { try? handle.close() }
        try handle.truncate(atOffset: UInt64(bytes))
    }
}
