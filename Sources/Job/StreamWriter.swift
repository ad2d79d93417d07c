import Foundation
import Pipeline
import Results
import VideoIO

/// The writing side of one stream of a run, on the job's sink task: its crash-safe MP4 (opened at its first frame,
/// when the source's size is known) with the live outputs from the same encode, its results files, its frame-rate
/// controller, the closing join of an interrupted or resumed video, and its own counts (frames, latency, busy time
/// per part). Every frame it is given was computed for this stream.
final class StreamWriter {
    let input: StreamInput
    let output: String?
    let streams: [StreamTarget]
    let checkpoint: JobCheckpoint?
    let start: JobCheckpoint.Start
    let control: RateControl?
    let results: ResultsPaths
    private let writers: ResultsWriters
    private let outlets: RunOutlets
    private(set) var sink: VideoSink?
    private(set) var written: Int
    /// Frames handed to `write`, a resumed run's warm-up included.
    private(set) var received = 0
    /// The frames' own work per part, summed for the closing report.
    private(set) var busy = FrameTiming()
    /// Capture → written, per frame, in milliseconds.
    private(set) var latencies: [Double] = []
    private(set) var firstAt: ContinuousClock.Instant?
    private(set) var lastAt: ContinuousClock.Instant?
    /// Standard output's reader went away: the run should stop reading.
    private(set) var readerGone = false

    init(input: StreamInput, output: String?, streams: [StreamTarget], results: ResultsPaths, checkpoint: JobCheckpoint?,
         start: JobCheckpoint.Start, control: RateControl?, outlets: RunOutlets) throws {
        (self.input, self.output, self.streams, self.checkpoint, self.start) = (input, output, streams, checkpoint, start)
        (self.control, self.outlets, self.results, written) = (control, outlets, results, start.skip)
        writers = try ResultsWriters(results, append: start.skip > 0)
    }

    private var audioInput: String? {
        guard let info = input.source?.info, info.hasAudio, !VideoInput.isLive(input.input) else { return nil }
        return input.input
    }

    /// Writes a finished frame to the video, the results files and the outlets; frames before the resume point
    /// (a resumed run's warm-up) are already in the outputs. Returns false for those.
    @discardableResult
    func write(_ finished: FrameRecord) throws -> Bool {
        received += 1
        if finished.index < start.skip { return false }
        var record = finished
        let encodeStart = ContinuousClock.now
        if sink == nil, output != nil || !streams.isEmpty, let info = input.source?.info {
            sink = try VideoSink(path: output ?? streams[0].description, width: info.width, height: info.height,
                                 timeBaseNum: info.timeBaseNum, timeBaseDen: info.timeBaseDen, frameRate: info.averageFrameRate,
                                 audioFrom: audioInput, fragmented: true, origin: start.origin, streams: streams,
                                 writesFile: output != nil)
        }
        try sink?.write(rgb: record.image.pixels, pts: record.pts)
        record.timing.add("encode", ms: encodeStart.duration(to: .now).inSeconds * 1000)
        for part in record.timing.parts { busy.add(part.name, ms: part.ms) }
        control?.finished(record)
        if written == start.skip { try checkpoint?.noteOrigin(sink?.origin) }
        try writers.write(record)
        let outputs = sink?.streamStats ?? []
        outlets.written(record, stream: input.name, outputs: outputs, rung: control?.controller.rung)
        if writers.readerGone || outputs.contains(where: { $0.target.kind == .stdout && $0.stats.failed }) { readerGone = true }
        written += 1
        let now = ContinuousClock.now
        let latency = record.timing.readAt.map { $0.duration(to: now).inSeconds * 1000 }
        if let latency { latencies.append(latency) }
        input.noteWritten(latencyMs: latency ?? 0)
        if firstAt == nil { firstAt = now }
        lastAt = now
        return true
    }

    /// After a failed run: keeps what was written playable, or leaves no empty video behind.
    func abandon() {
        writers.close()
        guard let sink, let output else { return }
        sink.trimAudioToVideo = true
        try? sink.finish()
        if written == 0 { try? FileManager.default.removeItem(atPath: output) }
    }

    /// Finalises the video (joined with earlier attempts into one `+faststart` MP4, audio copied) and the results
    /// files. `partial`: only part of the input went through (a stop or a frame limit), so the audio is cut to the video.
    func finish(interrupted: Bool, partial: Bool) throws {
        writers.close()
        sink?.trimAudioToVideo = partial
        try sink?.finish()
        guard written > 0, let sink, output != nil else { return }
        let audio = sink.origin.flatMap { origin in
            audioInput.map { path in
                MP4Join.Audio(path: path, origin: origin, timeBase: (input.source!.info.timeBaseNum, input.source!.info.timeBaseDen),
                              trimToVideo: sink.trimAudioToVideo)
            }
        }
        try checkpoint?.finish(interrupted: interrupted, audio: audio)
    }

    /// Frames written per second of this stream's own wall time (first to last frame written).
    var framesPerSecond: Double {
        guard let firstAt, let lastAt, written - start.skip > 1 else { return 0 }
        let seconds = firstAt.duration(to: lastAt).inSeconds
        return seconds > 0 ? Double(written - start.skip - 1) / seconds : 0
    }
}
