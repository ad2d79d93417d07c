import ArgumentParser
import Foundation
import Job
import Pipeline

/// Runs a `VideoJob` for a command: SIGINT/SIGTERM ask it to stop, progress and reconnect notes go to stderr,
/// the closing report is printed; a failure is one `mrcnn: error:` line. Exit status 130 when interrupted.
enum JobConsole {
    static func run(_ job: VideoJob, after: (JobReport) -> Void = { _ in }) async throws {
        var job = job
        let trap = SignalTrap(stop: job.stop)
        defer { trap.cancel() }
        job.log = { line in
            let newline = isatty(STDERR_FILENO) != 0 ? "\n" : ""
            StandardError.write(newline + "mrcnn: " + line + "\n")
        }
        var progress: ProgressReporter?
        job.onProgress = { done, total in
            if progress == nil { progress = ProgressReporter(total: total) }
            progress?.update(done: done)
        }
        let report: JobReport
        do {
            report = try await job.run()
        } catch {
            progress?.finish()
            StandardError.report(error)
            throw ExitCode.failure
        }
        progress?.finish()
        StandardError.write(report.lines.joined(separator: "\n") + "\n")
        after(report)
        if report.interrupted { throw ExitCode(130) }
    }

    /// Runs `check`; a failure is printed as one `mrcnn: error:` line and ends the command (exit status 1).
    static func reportingErrors(_ check: () throws -> Void) throws {
        do { try check() } catch {
            StandardError.report(error)
            throw ExitCode.failure
        }
    }
}
