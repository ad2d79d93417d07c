import Foundation

/// Runs some tests of this bundle in a process of their own. In the shared test process other suites compute on
/// the concurrency pool (parity tests run the model in their bodies), which would starve a server under test and
/// make its timings meaningless; a child process has its own pool.
enum OwnProcess {
    static let variable = "MRCNN_TEST_OWN_PROCESS"

    /// True inside the child process.
    static let isChild = ProcessInfo.processInfo.environment[variable] != nil

    /// Runs this test bundle again, filtered to `filter`, with `variable` set; its exit status and output.
    static func run(filter: String) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        process.arguments = ["--testing-library", "swift-testing", "--filter", filter]
        process.environment = ProcessInfo.processInfo.environment.merging([variable: "1"]) { $1 }
        let pipe = Pipe()   // the child prints a few dozen lines only
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }
}
