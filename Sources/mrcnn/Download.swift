import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Streams one URL into a file with URLSession, hashing (SHA-256) the bytes as they arrive and reporting progress on
/// stderr when the server sends a length. Only status 200 is accepted; a short body is an error. Synchronous.
final class Download: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    /// What arrived: the byte count and the SHA-256 of exactly those bytes (lowercase hex).
    struct Outcome { var bytes: Int64; var sha256: String }

    // Touched only on the session's serial delegate queue until `done` is signalled.
    private let url: URL
    private let output: FileHandle
    private let progress: Bool
    private var hasher = SHA256()
    private var received: Int64 = 0
    private var expected: Int64?
    private var failure: (any Error)?
    private var reporter: ByteProgress?
    private let done = DispatchSemaphore(value: 0)

    private init(url: URL, output: FileHandle, progress: Bool) {
        self.url = url
        self.output = output
        self.progress = progress
    }

    /// Downloads `url` into `file` (created or truncated); throws one-line `CLIError`s.
    static func run(_ url: URL, to file: URL, progress: Bool, timeout: TimeInterval = 60) throws -> Outcome {
        guard FileManager.default.createFile(atPath: file.path, contents: nil),
              let handle = try? FileHandle(forWritingTo: file) else {
            throw CLIError("cannot write \(file.path)")
        }
        defer { try? handle.close() }
        let download = Download(url: url, output: handle, progress: progress)
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        let session = URLSession(configuration: configuration, delegate: download, delegateQueue: queue)
        var request = URLRequest(url: url)
        request.setValue("mrcnn (torch.hub compatible)", forHTTPHeaderField: "User-Agent")
        session.dataTask(with: request).resume()
        download.done.wait()
        session.finishTasksAndInvalidate()
        download.reporter?.finish()
        if let failure = download.failure { throw failure }
        if let expected = download.expected, download.received != expected {
            throw CLIError("\(url.absoluteString): download ended after \(download.received) of \(expected) bytes")
        }
        return Outcome(bytes: download.received, sha256: download.hasher.hexDigest())
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard status == 200 else {
            let reason = HTTPURLResponse.localizedString(forStatusCode: status)
            failure = CLIError("\(url.absoluteString): HTTP \(status)\(reason.isEmpty ? "" : " \(reason)")")
            completionHandler(.cancel)
            return
        }
        if response.expectedContentLength >= 0 { expected = response.expectedContentLength }
        if progress, let expected { reporter = ByteProgress(total: expected) }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard failure == nil else { return }
        do {
            try output.write(contentsOf: data)
        } catch {
            failure = CLIError("cannot write the download: \(error.localizedDescription)")
            dataTask.cancel()
            return
        }
        data.withUnsafeBytes { hasher.update(buffer: $0) }
        received += Int64(data.count)
        reporter?.update(done: received)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        if failure == nil, let error {
            failure = CLIError("\(url.absoluteString): \(error.localizedDescription)")
        }
        done.signal()
    }
}

/// Download progress on stderr (bytes, %, MB/s): redrawn in place on a terminal, else a line per 10 %.
final class ByteProgress {
    private let total: Int64
    private let isTerminal = isatty(STDERR_FILENO) != 0
    private let started = Date()
    private var lastDraw = Date.distantPast
    private var lastDecile = 0
    private var drew = false

    init(total: Int64) { self.total = total }

    func update(done: Int64) {
        let now = Date()
        if isTerminal {
            guard now.timeIntervalSince(lastDraw) >= 0.1 || done == total else { return }
            lastDraw = now
            drew = true
            StandardError.write("\r" + line(done, now) + "\u{1B}[K")
        } else {
            let decile = total > 0 ? Int(done * 10 / total) : 10
            guard decile > lastDecile else { return }
            lastDecile = decile
            StandardError.write("progress: " + line(done, now) + "\n")
        }
    }

    /// Ends the in-place line so later output starts on a fresh line.
    func finish() {
        if drew { StandardError.write("\n") }
        drew = false
    }

    private func line(_ done: Int64, _ now: Date) -> String {
        let mb = 1_048_576.0, elapsed = now.timeIntervalSince(started)
        let percent = total > 0 ? Int(Double(done) * 100 / Double(total)) : 100
        let rate = elapsed > 0 ? Double(done) / mb / elapsed : 0
        return String(format: "%.1f / %.1f MB (%d%%)  %.1f MB/s", Double(done) / mb, Double(total) / mb, percent, rate)
    }
}

extension SHA256 {
    /// The SHA-256 (lowercase hex) of a file, read in 1 MiB chunks.
    static func hexDigest(ofFileAt path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw CLIError("cannot read \(path)") }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            chunk.withUnsafeBytes { hasher.update(buffer: $0) }
        }
        return hasher.hexDigest()
    }
}
