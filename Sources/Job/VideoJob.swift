import Detector
import Foundation
import Pipeline
import Results
import VideoIO

/// One video job: source (file, camera or stream URL) → stage chain → optional annotated MP4, live outputs
/// (RTMP, SRT, HLS, standard output) from the same encode, results files and a broker, with an optional live
/// preview and `/metrics`. A value you configure and `run()` from any task; the sink side (video encoder,
/// results writers, `onProgress`) runs on that task, the stages and the reader on threads of their own.
///
/// ```swift
/// var job = VideoJob(input: "clip.mp4", chain: ["detector", "mask", "tracker"],
///                    options: ["detector.weights": "seeded:0", "detector.min-size": "320"])
/// job.results.json = "clip.jsonl"
/// let report = try await job.run()
/// ```
public struct VideoJob {
    public var input: String
    /// Annotated H.264 MP4 (audio copied from files); nil = no video written.
    public var output: String?
    /// Live outputs fed by the same encode as `output` (`OutputPaths.split` sorts `-o` values into both).
    public var streams: [StreamTarget] = []
    /// Publish each frame's JSON Lines line to an MQTT broker.
    public var publish: PublishSettings?
    /// Stage names, in order (see `StageCatalog`).
    public var chain: [String]
    /// Stage options as "STAGE.OPTION" → value (see `mrcnn stages`); checked against what the stages declare.
    public var options: [String: String]
    /// Frames per micro-batch handed to each stage.
    public var batchSize = 1
    /// Stop after this many frames.
    public var maxFrames: Int?
    /// Results files written frame by frame.
    public var results = ResultsPaths()
    /// Stages run before the registry's chain (e.g. a `ReplayStage` of saved results), and what they provide.
    public var leadingStages: [StagePlan] = []
    public var leadingProvide: Set<Capability> = []
    /// Files the job reads besides the input (e.g. saved results a leading stage replays): never overwritten.
    public var protectedInputs: [String] = []
    /// Runtime plugins (.so paths) whose stages join the registry.
    public var plugins: [String] = []
    /// Where the model stages find the official checkpoints when no weights are named.
    public var cacheDirectory = ModelZoo.defaultCacheDirectory
    /// Hold this many frames per second by moving along the `QualityLadder` (nil: fixed settings). Needs a model
    /// stage (`detector` or `keypoints`).
    public var targetFPS: Double?
    /// The smallest short side the controller may choose.
    public var minSizeFloor = 320
    /// Frame policy, live-source timeouts, preview server.
    public var live = LiveSettings()
    /// Set it (from any thread, e.g. a signal handler) to stop reading; what was read still drains and is written.
    public var stop = StopFlag()
    /// Receives one-line notes while running (reconnects, the preview address); from any thread.
    public var log: @Sendable (String) -> Void = { _ in }
    /// Called after each frame reaches the sink, with the count so far and the expected total (if known).
    public var onProgress: (_ done: Int, _ total: Int?) -> Void = { _, _ in }
    /// Continue an interrupted run of the same input and settings from the last frame all its outputs hold
    /// (state in `OUTPUT.mrcnn-state.json`); without it a run starts over. See `JobCheckpoint`.
    public var resume = false
    /// The input opened already, holding frames read before the run (a live input's int8 calibration frames).
    var opened: PrefetchedSource?

    public init(input: String, output: String? = nil, chain: [String] = ["detector", "mask", "render"],
                options: [String: String] = [:]) {
        self.input = input
        self.output = output
        self.chain = chain
        self.options = options
    }

    /// Sets option `key` of `stage` to `value`, written as the option reads it back (`set(TrackerPlugin.maxAge, 60,
    /// on: "tracker")`); the same as assigning its text in `options`.
    public mutating func set<Value>(_ key: OptionKey<Value>, _ value: Value, on stage: String) {
        options["\(stage).\(key.name)"] = key.format(value)
    }

    /// Sets `output` and `streams` from `-o` values (`OutputPaths.split`).
    public mutating func setOutputs(_ outputs: [String], hlsSegment: Double = 2) throws {
        (output, streams) = try OutputPaths.split(outputs, hlsSegment: hlsSegment)
    }

    /// Refuses outputs that would overwrite the input or each other, or that cannot be created.
    public func checkPaths() throws {
        try OutputPaths.checkStandardOutput(results: results.all, streams: streams, resume: resume)
        let files = results.all.filter { !LineFile.isStandardOutput($0) }
        let outputs = (output.map { [$0] } ?? []) + files
        for path in outputs where ([input] + protectedInputs).contains(where: { OutputPaths.same($0, path) }) {
            throw JobError.outputIsInput(path)
        }
        for path in files { try OutputPaths.checkWritable(path) }
        if Set(outputs.map { URL(fileURLWithPath: $0).standardizedFileURL.path }).count < outputs.count {
            throw JobError.outputsCollide
        }
    }

    /// Runs the job to the end of the input, the frame limit or `stop`; throws the first error (the outputs then
    /// keep what was written, and a video with no frame is removed). Everything `check()` checks fails before any
    /// file is written or any server started.
    public func run() async throws -> JobReport {
        // int8 without a calibration file: the scales kept for these weights, or measured on the input first.
        var (job, checked) = (self, try self.plan())
        let calibrated = try InputCalibration.apply(to: options, plan: checked, inputs: [input], live: live, cache: cacheDirectory, log: log)
        (job.options, job.opened) = (calibrated.options, calibrated.opened[0])
        do {
            if job.options != options { checked = try job.plan() }
            if let note = try InputCalibration.automaticNote(checked) { log(note) }
        } catch {
            job.opened?.close()
            throw error
        }
        return try await job.start(checked)
    }

    private func start(_ plan: JobPlan) async throws -> JobReport {
        let control = plan.ladder.map { RateControl(ladder: $0, targetFPS: targetFPS ?? 1, policy: live.policy(for: input), log: log) }
        // The broker first: a refusal (wrong password) ends the run before anything is written.
        let outlets = try RunOutlets(publish: publish, metered: live.serve != nil || live.metrics != nil, gate: plan.gate.hasMembers ? plan.gate : nil, log: log)
        do {
            // The preview serves at once ("waiting for the source"); a live stream may take seconds to give a picture.
            let session = try LiveSession(input: input, live: live, outlets: outlets, log: log)
            try await session.start()
            do {
                return try await process(plan, session: session, control: control)
            } catch {
                await session.stop()
                throw error
            }
        } catch {
            outlets.finish(drain: .zero)
            throw error
        }
    }

    /// Opens the source and the outputs, runs the chain (`ChainRun`, as one stream), finalises the outputs;
    /// `session` is already serving.
    private func process(_ plan: JobPlan, session: LiveSession, control: RateControl?) async throws -> JobReport {
        let source = try self.opened ?? live.openSource(input, log: log)
        var opened: StreamInput?   // once it reads the source, it closes it (never in the middle of a read)
        defer { if let opened { opened.close() } else { source.close() } }
        // Crash-safe outputs: the sidecar state first, then a fragmented MP4 and results appended frame by frame.
        let checkpoint = output.map(JobCheckpoint.init)
        let start = try checkpoint?.begin(self, resume: resume, plan: plan) ?? JobCheckpoint.Start()
        let outlets = session.outlets, dial = control?.dial, name = URL(fileURLWithPath: input).lastPathComponent
        let stream = StreamInput(name: name, input: input, live: live, limit: maxFrames,
                                 skip: start.warmup == .skip ? start.skip : 0, source: source, stamp: { record in
                                     if let dial { record.dial = dial }
                                     outlets.read(name)
                                 }, log: log)
        opened = stream
        session.inputs = [stream]
        let plans = leadingStages + plan.plans
        let total = [source.info.estimatedFrameCount, maxFrames].compactMap { $0 }.min()
        let chain = ChainRun(plans: ResumeReplay.plans(plans, starts: [0: start]), batchSize: batchSize,
                             policy: live.policy(for: input), stop: stop, session: session, fatal: true, log: log)
        let outcome: ChainRun.Outcome
        do {
            outcome = try await chain.run(makeWriter: { _ in
                try StreamWriter(input: stream, output: output, streams: streams, results: results, checkpoint: checkpoint,
                                 start: start, control: control, outlets: outlets)
            }, written: { _, writer, _ in onProgress(writer.written, total) })
        } catch {
            checkpoint?.abandon()
            throw error
        }
        let writer = outcome.writers[0].writer
        outlets.finish(outputs: writer.sink?.streamStats, drain: .seconds(5))
        let gone = outcome.readerGone ? ["  standard output closed by its reader: stopped after \(writer.written) frames"] : []
        var report = JobReport(summary: outcome.summary, interrupted: stop.isSet && !outcome.readerGone, output: output,
                               results: results.all, liveLines: session.summaryLines(outcome.summary) + outlets.summaryLines + gone)
        report.outputDropped = streams.isEmpty ? nil : outlets.outputDropped
        report.publishDropped = publish == nil ? nil : outlets.publishDropped
        report.busy = writer.busy
        report.modelSeconds = plan.gate.hasMembers ? plan.gate.busySeconds : nil
        if let control { report.controlLines = control.summaryLines + [plan.controlNote.map { "  " + $0 }].compactMap { $0 } }
        return report
    }
}
