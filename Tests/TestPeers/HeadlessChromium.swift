import Foundation
import Glibc

/// Headless Chromium (Debian's `chromium`) driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`:
/// commands go to its descriptor 3, replies and events come from its descriptor 4, each message JSON ended by a NUL).
/// A test opens a page, waits for a condition the page itself reports (say, "four tiles show a decoded frame") and
/// then captures the screen. Unlike `--screenshot` with `--virtual-time-budget`, nothing here depends on Chromium's
/// virtual time, which stands still while a page has fetches pending (a live preview always has), so a page that
/// long-polls would never reach its budget; every wait is bounded and says what it waited for. Use from one thread.
public final class HeadlessChromium {
    /// The installed browser, if any (`tools/install-deps.sh` installs it).
    public static let executable = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    /// Chromium's own output (stdout and stderr), for failure messages.
    public let log: String
    private let process: ChildProcess
    private let commands: Int32, replies: Int32
    private var received: [UInt8] = []
    private var lastID = 0
    private var target: (id: String, session: String)?
    private let viewport: (width: Int, height: Int)

    /// Starts the browser with a fresh profile in `directory`; its pages are `width`×`height` CSS pixels (and PNGs).
    public init(width: Int, height: Int, directory: URL) throws {
        viewport = (width, height)
        guard let executable = Self.executable else {
            throw BrowserError(message: "chromium is not installed (tools/install-deps.sh installs it)")
        }
        signal(SIGPIPE, SIG_IGN)   // a browser that died makes a write fail with EPIPE instead of killing the tests
        // Descriptors above 4, close-on-exec: only their copies on 3 and 4 reach the browser.
        func pipePair() throws -> (read: Int32, write: Int32) {
            var fds: [Int32] = [0, 0]
            guard pipe(&fds) == 0 else { throw BrowserError(message: "pipe: \(String(cString: strerror(errno)))") }
            defer { Glibc.close(fds[0]); Glibc.close(fds[1]) }
            return (fcntl(fds[0], F_DUPFD_CLOEXEC, 10), fcntl(fds[1], F_DUPFD_CLOEXEC, 10))
        }
        let toBrowser = try pipePair(), fromBrowser = try pipePair()
        let tag = UUID().uuidString
        log = directory.appendingPathComponent("chromium-\(tag).log").path
        do {
            process = try ChildProcess(executable, [
                "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                "--window-size=\(width),\(height)", "--user-data-dir=\(directory.appendingPathComponent("chromium-\(tag)").path)",
                "--remote-debugging-pipe", "about:blank",
            ], output: log, descriptors: [toBrowser.read: 3, fromBrowser.write: 4])
        } catch {
            [toBrowser.read, toBrowser.write, fromBrowser.read, fromBrowser.write].forEach { Glibc.close($0) }
            throw error
        }
        Glibc.close(toBrowser.read)
        Glibc.close(fromBrowser.write)
        commands = toBrowser.write
        replies = fromBrowser.read
    }

    /// Opens `url` in a new tab (closing the previous one): a fresh page, as a user opening the address sees it.
    public func open(_ url: String, timeout: TimeInterval = 60) throws {
        if let old = target {
            _ = try send("Target.closeTarget", ["targetId": old.id], timeout: timeout, inPage: false)
            target = nil
        }
        let id = try send("Target.createTarget", ["url": "about:blank"], timeout: timeout, inPage: false)["targetId"] as? String ?? ""
        let session = try send("Target.attachToTarget", ["targetId": id, "flatten": true], timeout: timeout, inPage: false)["sessionId"]
        target = (id, session as? String ?? "")
        // --window-size sizes the window, not the page (its PNGs came out less high): size the page itself.
        _ = try send("Emulation.setDeviceMetricsOverride", ["width": viewport.width, "height": viewport.height,
                                                            "deviceScaleFactor": 1, "mobile": false], timeout: timeout)
        _ = try send("Page.navigate", ["url": url], timeout: timeout)
    }

    /// The value of a JavaScript expression in the open page (awaited when it is a promise).
    public func evaluate(_ expression: String, timeout: TimeInterval = 60) throws -> Any? {
        let result = try send("Runtime.evaluate", ["expression": expression, "returnByValue": true, "awaitPromise": true],
                              timeout: timeout)
        if let exception = result["exceptionDetails"] as? [String: Any] {
            throw BrowserError(message: "chromium: \(expression): \(exception["text"] ?? exception)")
        }
        return (result["result"] as? [String: Any])?["value"]
    }

    /// Polls `condition` (a JavaScript expression) in the open page until it is `true`; false after `timeout` s.
    /// An evaluation that fails while the page is still loading (its context replaced) counts as not yet.
    public func waitUntil(_ condition: String, timeout: TimeInterval) throws -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            guard process.isRunning else { throw BrowserError(message: "chromium exited: \(output)") }
            if (try? evaluate(condition, timeout: max(1, deadline.timeIntervalSinceNow))) as? Bool == true { return true }
            if Date() >= deadline { return false }
            Thread.sleep(forTimeInterval: 0.1)
        }
    }

    /// A PNG of the page as painted now: after two animation frames, so what the page changed before is on screen.
    public func screenshot(timeout: TimeInterval = 60) throws -> Data {
        _ = try evaluate("new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() => done(true))))",
                         timeout: timeout)
        let data = try send("Page.captureScreenshot", ["format": "png"], timeout: timeout)["data"] as? String
        guard let png = data.flatMap({ Data(base64Encoded: $0) }) else { throw BrowserError(message: "chromium: no screenshot data") }
        return png
    }

    /// Closes the browser (politely, then SIGKILL after 10 s) and waits for it.
    public func close() {
        guard process.isRunning else { return }
        _ = try? send("Browser.close", [:], timeout: 10, inPage: false)
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        process.stop(SIGKILL)
    }

    deinit {
        close()
        Glibc.close(commands)
        Glibc.close(replies)
    }

    /// Sends one command (to the open page's session unless `inPage` is false) and returns its result.
    private func send(_ method: String, _ params: [String: Any] = [:], timeout: TimeInterval, inPage: Bool = true) throws -> [String: Any] {
        lastID += 1
        var message: [String: Any] = ["id": lastID, "method": method, "params": params]
        if inPage {
            guard let target else { throw BrowserError(message: "chromium: \(method) before a page was opened") }
            message["sessionId"] = target.session
        }
        var bytes = [UInt8](try JSONSerialization.data(withJSONObject: message))
        bytes.append(0)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { write(commands, $0.baseAddress, $0.count) }
            guard n > 0 else { throw BrowserError(message: "chromium exited: \(output)") }
            sent += n
        }
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let reply = try nextMessage(before: deadline, waitingFor: method)
            guard reply["id"] as? Int == lastID else { continue }   // events, and replies nobody waits for
            if let error = reply["error"] as? [String: Any] {
                throw BrowserError(message: "chromium: \(method): \(error["message"] ?? error)")
            }
            return reply["result"] as? [String: Any] ?? [:]
        }
    }

    /// The next message from the browser, read until `deadline`.
    private func nextMessage(before deadline: Date, waitingFor method: String) throws -> [String: Any] {
        while true {
            if let end = received.firstIndex(of: 0) {
                let message = Data(received[..<end])
                received.removeSubrange(...end)
                return try JSONSerialization.jsonObject(with: message) as? [String: Any] ?? [:]
            }
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { throw BrowserError(message: "chromium: no reply to \(method) in time; \(output)") }
            var ready = pollfd(fd: replies, events: Int16(POLLIN), revents: 0)
            guard poll(&ready, 1, Int32(min(left, 1) * 1000) + 1) > 0 else { continue }
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            let n = chunk.withUnsafeMutableBytes { read(replies, $0.baseAddress, $0.count) }
            guard n > 0 else { throw BrowserError(message: "chromium exited: \(output)") }
            received += chunk[..<n]
        }
    }

    private var output: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }
}

/// Chromium failed to start, answer or capture; the message says which command and what it printed.
public struct BrowserError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
