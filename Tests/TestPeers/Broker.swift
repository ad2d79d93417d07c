import Foundation
import Glibc

/// A real Eclipse Mosquitto broker on a free loopback port, in a temporary directory of its own, started and
/// stopped by the test (Debian's `mosquitto`; `.ci/run` installs it). Persistence on, so a broker stopped with
/// SIGTERM and started again keeps persistent sessions and queued messages, as a production broker does.
public final class Broker {
    public let directory: URL
    public let port: Int
    public private(set) var process: ChildProcess?
    private let extraConfig: String

    /// `config` lines go after the listener line (TLS files, password file, ...); `{DIR}` stands for `directory`.
    public init(config: String = "allow_anonymous true", port: Int? = nil) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("mqtt-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        self.port = port ?? Broker.freePort()
        extraConfig = config
    }

    /// A started broker that takes only `user` with `password` (a mosquitto_passwd file).
    public static func withLogin(user: String, password: String) throws -> Broker {
        let broker = try Broker(config: "allow_anonymous false\npassword_file {DIR}/passwords")
        try run("mosquitto_passwd", ["-c", "-b", broker.path("passwords"), user, password])
        try broker.start()
        return broker
    }

    public func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Starts the broker and waits until it accepts connections.
    public func start() throws {
        // Started as root, mosquitto drops to its own user unless told to stay this one (which owns the directory).
        let user = getpwuid(getuid()).map { String(cString: $0.pointee.pw_name) } ?? "root"
        let conf = """
        user \(user)
        listener \(port) 127.0.0.1
        \(extraConfig.replacingOccurrences(of: "{DIR}", with: directory.path))
        persistence true
        persistence_location \(directory.path)/
        autosave_interval 1
        log_dest file \(path("broker.log"))
        """
        try conf.write(toFile: path("mosquitto.conf"), atomically: true, encoding: .utf8)
        process = try ChildProcess("/usr/sbin/mosquitto", ["-c", path("mosquitto.conf")], output: path("broker.out"))
        if LoopbackPort.waitUntilListening(port, alive: { process?.isRunning == true }) { return }
        throw BrokerError(message: "mosquitto did not start on port \(port): \((try? String(contentsOfFile: path("broker.log"), encoding: .utf8)) ?? "")")
    }

    /// Stops the broker with SIGTERM (it saves its persistence file) and waits for it to exit.
    public func stop() {
        process?.stop()
        process = nil
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs a tool to the end; returns its standard output.
    @discardableResult
    public static func run(_ tool: String, _ arguments: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [tool] + arguments
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("tool-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: out) }
        let handle = try FileHandle(forWritingTo: out)
        p.standardOutput = handle
        p.standardError = handle
        try p.run()
        p.waitUntilExit()
        try? handle.close()
        let text = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
        guard p.terminationStatus == 0 else { throw BrokerError(message: "\(tool) \(arguments.joined(separator: " ")): \(text)") }
        return text
    }

    /// A port for a server on 127.0.0.1 (`LoopbackPort.free()`: free now, and nothing else takes it before then).
    public static func freePort() -> Int { LoopbackPort.free() }
}

/// A `mosquitto_sub` client (the real peer) writing every message it receives on `topic` to a file, one per line.
/// With `session`, a persistent session (clean session off, QoS 1): the broker keeps its messages while it is away.
public final class Subscriber {
    public let process: ChildProcess
    public let output: URL
    public let topic: String

    public init(broker: Broker, topic: String, session: String? = nil, extra: [String] = []) throws {
        self.topic = topic
        output = broker.directory.appendingPathComponent("sub-\(UUID().uuidString).txt")
        var args = ["-h", "127.0.0.1", "-p", String(broker.port), "-q", "1", "-t", topic, "-t", topic + "/ready", "-v"]
        if let session { args += ["-c", "-i", session] }
        process = try ChildProcess("/usr/bin/mosquitto_sub", args + extra, output: output.path)
        // Subscribed once a message on TOPIC/ready comes back.
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            try Broker.run("mosquitto_pub", ["-h", "127.0.0.1", "-p", String(broker.port), "-t", topic + "/ready", "-m", "ready"] + extra)
            if lines(onTopic: topic + "/ready").count > 0 { return }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw BrokerError(message: "mosquitto_sub did not subscribe")
    }

    /// The payloads received so far on `topic` (default: the subscribed topic itself).
    public func lines(onTopic: String? = nil) -> [String] {
        let wanted = (onTopic ?? topic) + " "
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").filter { $0.hasPrefix(wanted) }.map { String($0.dropFirst(wanted.count)) }
    }

    /// Waits until `count` messages arrived on the topic, or `seconds` passed.
    public func waitFor(_ count: Int, seconds: Double) -> [String] {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline, lines().count < count { Thread.sleep(forTimeInterval: 0.05) }
        return lines()
    }

    deinit { process.stop() }
}

public struct BrokerError: Error, CustomStringConvertible {
    public let message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}
