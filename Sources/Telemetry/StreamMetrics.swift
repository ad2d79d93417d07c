import CoreMetrics
import Synchronization

/// The metrics of one stream of a run, every series labelled `stream="NAME"` (as DeepStream's and DL Streamer's
/// exporters label theirs): frames read, written (processed) and dropped, its recent frames per second, per-stage and
/// end-to-end latency, source reconnects, restream drops and the frame-rate controller's rung. What the streams share
/// (the model's busy share, the broker publisher) is the run's (`RunMetrics.shared`). Counters that mirror a
/// component's running total (`reconnects`, …) are fed the total and advance by the difference. Thread-safe.
public final class StreamMetrics: Sendable {
    let run: RunMetrics
    let stream: String
    let framesRead: CoreMetrics.Counter
    let framesWritten: CoreMetrics.Counter
    let framesDropped: CoreMetrics.Counter
    let frameLatency: CoreMetrics.Timer
    let fps: CoreMetrics.Gauge
    let rung: CoreMetrics.Gauge
    let shortSide: CoreMetrics.Gauge
    let reconnectCounter: CoreMetrics.Counter
    let stageTimers = Mutex<[String: CoreMetrics.Timer]>([:])
    let outputDrops = Mutex<[String: CoreMetrics.Counter]>([:])
    let totals = MirroredTotals()

    init(run: RunMetrics, stream: String) {
        self.run = run
        self.stream = stream
        let s = [("stream", stream)]
        framesRead = run.counter("mrcnn_frames_read_total", "Frames decoded from the source.", s)
        framesWritten = run.counter("mrcnn_frames_written_total", "Frames that went through every stage and reached the outputs.", s)
        framesDropped = run.counter("mrcnn_frames_dropped_total", "Frames dropped in latest-frame mode before the model saw them.", s)
        frameLatency = run.timer("mrcnn_frame_latency_seconds", "Time from a frame's capture (or read) to its outputs.", s)
        fps = run.gauge("mrcnn_stream_fps", "Frames per second the stream's outputs received lately.", s)
        rung = run.gauge("mrcnn_settings_rung", "Rung of the quality ladder the frame-rate controller holds (0 = the requested settings).", s)
        shortSide = run.gauge("mrcnn_settings_short_side_pixels", "Model input short side of the newest frame.", s)
        reconnectCounter = run.counter("mrcnn_source_reconnects_total", "Times a live source reconnected.", s)
    }

    public func frameRead() { framesRead.increment() }
    public func frameWritten(latency seconds: Double) {
        framesWritten.increment()
        frameLatency.recordNanoseconds(Int64(max(0, seconds) * 1e9))
    }

    /// Mean time per frame of one stage (`stage`: its name, e.g. "detector", "decode", "encode").
    public func stage(_ stage: String, seconds: Double) {
        let timer = stageTimers.withLock { timers in
            if let t = timers[stage] { return t }
            let t = run.timer("mrcnn_stage_seconds", "Time a stage spent on one frame.", [("stream", stream), ("stage", stage)])
            timers[stage] = t
            return t
        }
        timer.recordNanoseconds(Int64(max(0, seconds) * 1e9))
    }

    /// The running totals of components that count for themselves: the scheduler's drops, the source's reconnects.
    public func totals(dropped: Int? = nil, reconnects: Int? = nil) {
        if let dropped { totals.advance(framesDropped, "dropped", to: dropped) }
        if let reconnects { totals.advance(reconnectCounter, "reconnects", to: reconnects) }
    }

    /// Packets a live output (`output`: its URL without credentials) dropped so far.
    public func outputDropped(_ output: String, total: Int) {
        let counter = outputDrops.withLock { drops in
            if let c = drops[output] { return c }
            let c = run.counter("mrcnn_output_dropped_packets_total", "Encoded packets a live output (RTMP, SRT, HLS) dropped.",
                                [("stream", stream), ("output", output)])
            drops[output] = c
            return c
        }
        totals.advance(counter, "output:" + output, to: total)
    }

    /// `fps`: frames per second lately; `rung`, `shortSide`: the settings of the newest frame.
    public func gauges(fps rate: Double? = nil, rung r: Int? = nil, shortSide side: Int? = nil) {
        if let rate { fps.record(rate) }
        if let r { rung.record(r) }
        if let side { shortSide.record(side) }
    }
}

/// The figures a run's streams share, without a `stream` label: the model's busy share (one model for every stream)
/// and the broker publisher's backlog and losses (one publisher). Thread-safe.
public final class SharedMetrics: Sendable {
    let modelBusy: CoreMetrics.Gauge
    let publishBacklog: CoreMetrics.Gauge
    let publishDropped: CoreMetrics.Counter
    let totals = MirroredTotals()

    init(run: RunMetrics) {
        modelBusy = run.gauge("mrcnn_model_busy_ratio", "Share of wall time the model (shared by every stream) computed, 0 to 1.", [])
        publishBacklog = run.gauge("mrcnn_publish_backlog_messages", "Results messages waiting for the broker.", [])
        publishDropped = run.counter("mrcnn_publish_dropped_total", "Results messages dropped because the broker was away too long.", [])
    }

    /// Each given figure: the model's busy share, the publisher's backlog and its running total of drops.
    public func record(modelBusy busy: Double? = nil, publishBacklog backlog: Int? = nil, publishDropped dropped: Int? = nil) {
        if let busy { modelBusy.record(busy) }
        if let backlog { publishBacklog.record(backlog) }
        if let dropped { totals.advance(publishDropped, "publish", to: dropped) }
    }
}

/// Last running totals seen, so a counter fed a component's total advances by the difference and never shrinks.
final class MirroredTotals: Sendable {
    private let seen = Mutex<[String: Int]>([:])

    func advance(_ counter: CoreMetrics.Counter, _ key: String, to total: Int) {
        let delta = seen.withLock { t -> Int in
            let d = total - (t[key] ?? 0)
            if d > 0 { t[key] = total }
            return d
        }
        if delta > 0 { counter.increment(by: delta) }
    }
}
