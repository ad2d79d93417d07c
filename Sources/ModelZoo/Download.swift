import Crypto
import Foundation
import Synchronization
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Streams one URL into a file with URLSession, hashing (SHA-256) the bytes as they arrive. Only status 200 is
/// accepted; a short body is an error. Synchronous: `run` blocks the calling thread until the transfer ends.
/// `progress(received, expected)` is called on URLSession's delegate queue when the server sends a length.
public final class Download: NSObject, URLSessionDataDelegate, Sendable {
    /// What arrived: the byte count and the SHA-256 of exactly those bytes (lowercase hex).
    public struct Outcome: Sendable { public var bytes: Int64; public var sha256: String }

    /// What the delegate calls (on the session's serial queue) have seen so far.
    private struct State {
        var hasher = SHA256()
        var received: Int64 = 0
        var expected: Int64?
        var failure: ZooError?
    }

    private let url: URL
    private let output: FileHandle
    private let progress: (@Sendable (Int64, Int64) -> Void)?
    private let state = Mutex(State())
    private let done = DispatchSemaphore(value: 0)

    private init(url: URL, output: FileHandle, progress: (@Sendable (Int64, Int64) -> Void)?) {
        self.url = url
        self.output = output
        self.progress = progress
    }

    /// Downloads `url` into `file` (created or truncated); throws one-line `ZooError`s.
    public static func run(_ url: URL, to file: URL, timeout: TimeInterval = 60,
                           progress: (@Sendable (_ received: Int64, _ expected: Int64) -> Void)? = nil) throws -> Outcome {
        guard FileManager.default.createFile(atPath: file.path, contents: nil),
              let handle = try? FileHandle(forWritingTo: file) else {
            throw ZooError.cannotWrite(path: file.path, reason: "could not create the file")
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
        let state = download.state.withLock { $0 }
        if let failure = state.failure { throw failure }
        if let expected = state.expected, state.received != expected {
            throw ZooError.truncated(url: url.absoluteString, received: state.received, expected: expected)
        }
        return Outcome(bytes: state.received, sha256: FileDigest.hex(state.hasher.finalize()))
    }

    public func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                           completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard status == 200 else {
            let failure = ZooError.http(url: url.absoluteString, status: status, reason: HTTPURLResponse.localizedString(forStatusCode: status))
            state.withLock { $0.failure = failure }
            completionHandler(.cancel)
            return
        }
        if response.expectedContentLength >= 0 { state.withLock { $0.expected = response.expectedContentLength } }
        completionHandler(.allow)
    }

    public func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard state.withLock({ $0.failure == nil }) else { return }
        do {
            try output.write(contentsOf: data)
        } catch {
            state.withLock { $0.failure = .cannotWrite(path: "the download", reason: error.localizedDescription) }
            dataTask.cancel()
            return
        }
        let (received, expected) = state.withLock { s in
            s.hasher.update(data: data)
            s.received += Int64(data.count)
            return (s.received, s.expected)
        }
        if let expected { progress?(received, expected) }
    }

    /// Redirects are followed within https (download.pytorch.org serves from a CDN), never down to plain http.
    public func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                           newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
        let target = request.url
        if url.scheme?.lowercased() == "https", target?.scheme?.lowercased() != "https" {
            state.withLock { $0.failure = .insecureRedirect(from: url.absoluteString, to: target?.absoluteString ?? "?") }
            completionHandler(nil)
            return
        }
        completionHandler(request)
    }

    public func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        if let error {
            state.withLock { s in if s.failure == nil { s.failure = .transfer(url: url.absoluteString, reason: error.localizedDescription) } }
        }
        done.signal()
    }
}
