import Foundation
import Pipeline
import Results
import VideoIO

/// Many sources in one run with one model (`mrcnn run A B C -o DIR/`): every source gets its own reader thread,
/// policy (latest-frame for live sources, lossless for files), reconnecting, tracker and keyframe state, frame-rate
/// controller and outputs `DIR/NAME.mp4` + `DIR/NAME.jsonl` (each line as a run of that source alone writes it);
/// a fair scheduler batches their frames into one chain (`ChainRun`, the same code a single `VideoJob` runs).
/// A source that fails is logged and ends alone; the run ends when every source has ended, or at `stop`, with
/// every output finalised. A value you configure and `run()` from any task.
///
/// ```swift
/// var job = MultiStreamJob(sources: try MultiStreamJob.sources(["cam1=rtsp://a/1", "b.mp4"]), directory: "out/",
///                          template: VideoJob(input: "", chain: ["detector", "mask", "tracker", "render"]))
/// let report = try await job.run()
/// ```
public struct MultiStreamJob {
    /// One source, the name its outputs and logs carry, and its own settings (`StreamOptions`).
    public struct Source: Sendable, Equatable {
        public var name: String
        public var input: String
        /// This stream's frame-rate target (nil: the template's `targetFPS`, if any).
        public var targetFPS: Double?
        /// Batch slots this stream gets for each one a stream of weight 1 gets, while both have frames ready (≥ 1).
        public var weight = 1
        public init(name: String, input: String, targetFPS: Double? = nil, weight: Int = 1) {
            (self.name, self.input, self.targetFPS, self.weight) = (name, input, targetFPS, weight)
        }
    }

    public var sources: [Source]
    /// Where `NAME.mp4` and `NAME.jsonl` go for each source.
    public var directory: String
    /// The settings every stream runs with (chain, options, batch size, live settings, frame-rate target, resume,
    /// stop flag, log); its input, outputs and results files are set per stream. `template.results.json`, when
    /// set, is the combined JSON Lines of all streams (`-`: standard output), each line with a `"stream"` key.
    public var template: VideoJob
    /// Called after each frame reaches its outputs: the stream's name, its frames written, all streams' frames.
    public var onProgress: (_ stream: String, _ done: Int, _ total: Int) -> Void = { _, _, _ in }

    public init(sources: [Source], directory: String, template: VideoJob) {
        (self.sources, self.directory, self.template) = (sources, directory, template)
    }

    /// Sources from arguments: `NAME=INPUT` names a stream, else the name is the input's base name (made unique
    /// with a digest of the input when two share it). One-line errors for an empty list or a name given twice.
    public static func sources(_ arguments: [String]) throws -> [Source] {
        guard !arguments.isEmpty else { throw JobError.noInputs("the input list") }
        let parsed = arguments.map { argument -> (name: String?, input: String) in
            guard let eq = argument.firstIndex(of: "="), eq > argument.startIndex else { return (nil, argument) }
            let name = argument[..<eq]
            guard name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else { return (nil, argument) }
            return (String(name), String(argument[argument.index(after: eq)...]))
        }
        let derived = BatchPlan(inputs: parsed.map(\.input), directory: "")
        let sources = zip(parsed, derived.items).map { p, item in
            Source(name: p.name ?? String((item.video as NSString).lastPathComponent.dropLast(4)), input: p.input)
        }
        var seen = Set<String>()
        for source in sources where !seen.insert(source.name).inserted { throw JobError.streamNamedTwice(source.name) }
        return sources
    }

    /// The job of one stream: the template with its input, `DIR/NAME.mp4` and `DIR/NAME.jsonl`.
    public func job(for source: Source) -> VideoJob {
        var job = template
        let folder = directory.hasSuffix("/") ? directory : directory + "/"
        (job.input, job.output, job.streams) = (source.input, folder + source.name + ".mp4", [])
        job.results = ResultsPaths(json: folder + source.name + ".jsonl", timing: template.results.timing)
        return job
    }

    /// The template the chain is planned from: with a frame-rate controller when any stream holds a target.
    var planned: VideoJob {
        var job = template
        job.targetFPS = template.targetFPS ?? sources.lazy.compactMap(\.targetFPS).first
        return job
    }

    /// Checks every stream's settings and outputs, and the chain and options once — before anything is opened or written.
    public func check() throws {
        guard !sources.isEmpty else { throw JobError.noInputs("the input list") }
        for source in sources {
            if source.weight < 1 {
                throw JobError.invalidSetting(name: source.name + ".weight", value: "\(source.weight)", expected: StreamOptions.weight.expected)
            }
            if let fps = source.targetFPS, !(fps.isFinite && fps > 0) {
                throw JobError.invalidSetting(name: source.name + ".target-fps", value: "\(fps)", expected: StreamOptions.targetFPS.expected)
            }
        }
        _ = try planned.plan()
        // The directory is made when the run starts: its parent must take it.
        try OutputPaths.checkWritable(directory.hasSuffix("/") ? String(directory.dropLast()) : directory)
        for source in sources { try check(source) }
        if let combined = template.results.json, !LineFile.isStandardOutput(combined) {
            try OutputPaths.checkWritable(combined)
        }
    }

    /// One-line errors for a source that cannot be a stream of this run: an output that would overwrite its input, a
    /// file that is not there.
    func check(_ source: Source) throws {
        var job = job(for: source)
        job.results = ResultsPaths()
        try job.checkPaths()
        let file = !VideoInput.isLive(source.input) && !ImageSequenceSource.isSequence(source.input)
        if file, !FileManager.default.fileExists(atPath: source.input) { throw JobError.noSuchInput(source.input) }
    }

    /// Makes the reading side of a source (opened already as `file`, or on its reader thread; `skip`: frames a resumed
    /// stream holds) and the settings dial its records carry when the run holds a frame rate.
    private func readers(plan: JobPlan, outlets: RunOutlets) -> @Sendable (Source, (any FrameSource)?, Int) -> (StreamInput, SettingsDial?) {
        let (ladder, live, limit, log, target) = (plan.ladder, template.live, template.maxFrames, template.log, template.targetFPS)
        return { source, file, skip in
            let dial = (source.targetFPS ?? target).flatMap { _ in ladder.map { SettingsDial($0[0]) } }
            let input = StreamInput(name: source.name, input: source.input, live: live, limit: limit, skip: skip, weight: source.weight,
                                    source: file,
                                    stamp: { record in
                                        if let dial { record.dial = dial }
                                        outlets.read(source.name)
                                    }, log: { log("\(source.name): \($0)") })
            return (input, dial)
        }
    }

    /// `check(_:)` for a stream added while the run goes on, as a value any thread may call.
    private func checks() -> @Sendable (Source) throws -> Void {
        let folder = directory.hasSuffix("/") ? directory : directory + "/"
        return { source in
            for output in [folder + source.name + ".mp4", folder + source.name + ".jsonl"] where OutputPaths.same(source.input, output) {
                throw JobError.outputIsInput(output)
            }
            let file = !VideoInput.isLive(source.input) && !ImageSequenceSource.isSequence(source.input)
            if file, !FileManager.default.fileExists(atPath: source.input) { throw JobError.noSuchInput(source.input) }
        }
    }

    /// Runs every source to its end (or the stop); throws what fails before the streams start (a missing file, a
    /// bad option). The outputs are final when it returns.
    public func run() async throws -> MultiStreamReport {
        try check()
        let plan = try planned.plan()
        let log = template.log
        var job = self
        if template.resume {
            // A file stream whose outputs are complete is done: a resumed run leaves it alone, as a batch does.
            let done = sources.filter { source in
                let j = self.job(for: source)
                return !VideoInput.isLive(source.input) && BatchPlan.Item(input: source.input, video: j.output!, json: j.results.json!).isDone
            }
            for source in done { log("\(source.name): done already") }
            job.sources = sources.filter { !done.contains($0) }
            if job.sources.isEmpty { return MultiStreamReport(nothingLeft: ()) }
        }
        // int8 without a calibration file: the scales kept for these weights, or measured on the streams' first frames.
        let calibrated = try InputCalibration.apply(to: template.options, plan: plan, inputs: job.sources.map(\.input), live: template.live,
                                                    cache: template.cacheDirectory, log: log)
        job.template.options = calibrated.options
        let checked: JobPlan
        do {
            checked = calibrated.options == template.options ? plan : try job.planned.plan()
            if let note = try InputCalibration.automaticNote(checked) { log(note) }
        } catch {
            for source in calibrated.opened.values { source.close() }
            throw error
        }
        return try await job.start(plan: checked, opened: calibrated.opened)
    }

    /// `opened`: live sources opened already (by position), holding frames read before the run.
    private func start(plan: JobPlan, opened: [Int: PrefetchedSource]) async throws -> MultiStreamReport {
        let log = template.log
        // Files open now (one that cannot be read is an error before anything is written); live sources on their thread.
        var files: [(any FrameSource)?] = []
        do {
            for (i, source) in sources.enumerated() {
                files.append(try opened[i] ?? (VideoInput.isLive(source.input) ? nil : try template.live.openSource(source.input, log: log)))
            }
        } catch {
            for source in opened.values where !files.contains(where: { $0 === source }) { source.close() }
            for file in files { file?.close() }
            throw error
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let outlets = try RunOutlets(publish: template.publish, metered: template.live.serve != nil || template.live.metrics != nil,
                                     gate: plan.gate.hasMembers ? plan.gate : nil, log: log)
        defer { outlets.finish(drain: .seconds(5)) }
        let session = try LiveSession(input: "\(sources.count) streams", live: template.live, outlets: outlets, log: log)
        // The streams there from the start: outputs begun (and resumed) now; a stream added later begins at its first frame.
        let reader = readers(plan: plan, outlets: outlets)
        var starts: [(checkpoint: JobCheckpoint, start: JobCheckpoint.Start)] = []
        var entries: [StreamRoster.Entry] = []
        do {
            for (source, file) in zip(sources, files) {
                let checkpoint = JobCheckpoint(output: job(for: source).output!)
                let start = try checkpoint.begin(job(for: source), resume: template.resume, plan: plan)
                let (input, dial) = reader(source, file, start.warmup == .skip ? start.skip : 0)
                starts.append((checkpoint, start))
                entries.append(StreamRoster.Entry(source: source, input: input, dial: dial))
            }
        } catch {
            for file in files { file?.close() }
            throw error
        }
        let check = checks()
        let roster = StreamRoster(entries, session: session) { source in
            try check(source)
            return reader(source, nil, 0)
        }
        defer { for input in session.inputs { input.close() } }
        session.showTiles()
        session.offer(roster.control)
        let combined = try template.results.json.map { try LineFile(path: $0, append: false) }
        defer { combined?.close() }
        try await session.start()
        let policy: FramePolicy = entries.contains { $0.input.policy == .latest } ? .latest : .lossless
        // Resumed streams rebuild their trackers from their saved results, as a single stream does (`ResumeReplay`).
        let resumed = Dictionary(uniqueKeysWithValues: starts.enumerated().map { ($0, $1.start) })
        let chain = ChainRun(plans: ResumeReplay.plans(plan.plans, starts: resumed), batchSize: template.batchSize, policy: policy,
                             stop: template.stop, session: session, fatal: false, log: log)
        roster.attach(chain)
        let progress = onProgress
        let outcome = try await chain.run(makeWriter: { id in
            guard let entry = roster[id] else { throw JobError.notRunning }
            let job = job(for: entry.source)
            var (checkpoint, start) = (JobCheckpoint(output: job.output!), JobCheckpoint.Start())
            if id < starts.count { (checkpoint, start) = starts[id] } else { start = try checkpoint.begin(job, resume: false, plan: plan) }
            let control = (entry.source.targetFPS ?? template.targetFPS).flatMap { fps in
                plan.ladder.map { RateControl(ladder: $0, targetFPS: fps, policy: entry.input.policy, dial: entry.dial,
                                              log: { log("\(entry.source.name): \($0)") }) }
            }
            return try StreamWriter(input: entry.input, output: job.output, streams: [], results: job.results, checkpoint: checkpoint,
                                    start: start, control: control, outlets: outlets)
        }, written: { record, writer, total in
            try combined?.write(ResultsFormat.jsonLine(record, stream: writer.input.name, timing: template.results.timing) + "\n")
            progress(writer.input.name, writer.written, total)
        })
        return MultiStreamReport(outcome: outcome, interrupted: template.stop.isSet && !outcome.readerGone,
                                 modelSeconds: plan.gate.hasMembers ? plan.gate.busySeconds : nil)
    }
}
