import Foundation
import Pipeline

/// Runs a `VideoJob` for a console: SIGINT/SIGTERM ask it to stop (what was read still drains and is written; a
/// repeated signal calls `onRepeatedSignal`), its notes, a progress meter (a bar on a terminal, lines elsewhere)
/// and the closing report go to `write`, each note prefixed with `prefix`. Errors are thrown as they are, after the
/// progress line is ended. A closed pipe is an error a write returns (SIGPIPE is ignored), so a run writing to
/// standard output ends cleanly when its reader goes away. Used from the job's task.
public struct ConsoleRun: Sendable {
    public var write: @Sendable (String) -> Void
    public var isTerminal: Bool
    public var prefix: String
    public var onRepeatedSignal: @Sendable () -> Void

    public init(write: @escaping @Sendable (String) -> Void, isTerminal: Bool, prefix: String = "mrcnn: ",
                onRepeatedSignal: @escaping @Sendable () -> Void) {
        self.write = write
        self.isTerminal = isTerminal
        self.prefix = prefix
        self.onRepeatedSignal = onRepeatedSignal
    }

    /// Runs `job` to its end (or a stop) and writes its report.
    public func run(_ job: VideoJob) async throws -> JobReport {
        var job = job
        let signals = attach(&job)
        defer { signals.cancel() }
        var progress: ProgressMeter?
        let (isTerminal, write) = (self.isTerminal, self.write)
        job.onProgress = { done, total in
            if progress == nil { progress = ProgressMeter(total: total, isTerminal: isTerminal, write: write) }
            progress?.update(done: done)
        }
        let report: JobReport
        do { report = try await job.run() } catch {
            progress?.finish()
            throw error
        }
        progress?.finish()
        write(report.lines.joined(separator: "\n") + "\n")
        return report
    }

    /// Runs a many-source job to its end (or a stop) with a progress meter over all its frames, and writes its report.
    public func run(_ job: MultiStreamJob) async throws -> MultiStreamReport {
        var job = job
        let signals = attach(&job.template)
        defer { signals.cancel() }
        let progress = ProgressMeter(total: nil, isTerminal: isTerminal, write: write)
        job.onProgress = { _, _, total in progress.update(done: total) }
        let report: MultiStreamReport
        do { report = try await job.run() } catch {
            progress.finish()
            throw error
        }
        progress.finish()
        write(report.lines.joined(separator: "\n") + "\n")
        return report
    }

    /// Signals stop `job`, its notes go to `write` (ending a progress bar's line first).
    private func attach(_ job: inout VideoJob) -> StopSignals {
        StopSignals.ignoreBrokenPipe()
        let (write, prefix, newline) = (self.write, self.prefix, isTerminal ? "\n" : "")   // a note ends the bar's line
        job.log = { line in write(newline + prefix + line + "\n") }
        return StopSignals(stop: job.stop, onFirst: {
            write(newline + prefix + "stopping: finishing frames already read (signal again to quit at once)\n")
        }, onRepeat: { [onRepeatedSignal] in
            write(prefix + "quitting without finalising the output\n")
            onRepeatedSignal()
        })
    }
}
