import ArgumentParser
import Foundation
import Job

/// How commands run jobs and report failures: jobs through `ConsoleRun` on stderr; any failure is one
/// `mrcnn: error:` line (library errors in the tool's words, `StandardError.describe`) and exit status 1; an
/// interrupted job exits with 130.
enum JobConsole {
    static let console = ConsoleRun(write: StandardError.write, isTerminal: isatty(STDERR_FILENO) != 0) { exit(130) }

    /// Runs one job to its end; exit status 130 when interrupted.
    static func run(_ job: VideoJob, after: (JobReport) -> Void = { _ in }) async throws {
        let report = try await checked { try await console.run(job) }
        after(report)
        if report.interrupted { throw ExitCode(130) }
    }

    /// Runs `body`; a failure is printed as one `mrcnn: error:` line and ends the command (exit status 1).
    @discardableResult static func checked<T>(_ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch let exit as ExitCode { throw exit } catch {
            StandardError.report(error)
            throw ExitCode.failure
        }
    }

    /// The same for synchronous work.
    @discardableResult static func checked<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let exit as ExitCode { throw exit } catch {
            StandardError.report(error)
            throw ExitCode.failure
        }
    }
}

/// A user-facing failure of the command-line tool; its description is one line.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
