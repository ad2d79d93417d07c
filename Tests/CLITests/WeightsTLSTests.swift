import Foundation
import TestPeers
import Testing

/// `mrcnn weights fetch` against a real TLS server on loopback (`openssl s_server -WWW`) whose certificate a CA made
/// at test time signed: a certificate the machine does not trust is refused in one line, and nothing is left in
/// the cache. (The https → http redirect refusal needs a server the client trusts, which a test cannot arrange
/// without changing the system's trust store: URLSession on Linux takes no per-session CA.)
@Suite("mrcnn weights over TLS")
struct WeightsTLSTests {
    /// A test CA and a certificate for 127.0.0.1 it signs, in `dir`.
    static func makeCertificates(in dir: URL) throws {
        func openssl(_ args: [String]) throws {
            let r = try CLIHarness.run(CLIHarness.tool("openssl"), args, in: dir)
            guard r.status == 0 else { throw CLIHarness.Failure(description: "openssl \(args.first ?? ""): \(r.stderr)") }
        }
        try "subjectAltName=IP:127.0.0.1\n".write(to: dir.appendingPathComponent("ext"), atomically: true, encoding: .utf8)
        try openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=mrcnn test CA", "-keyout", "ca.key", "-out", "ca.pem"])
        try openssl(["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "server.key", "-out", "server.csr"])
        try openssl(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
                     "-extfile", "ext", "-out", "server.pem"])
    }

    @Test("a certificate the machine does not trust is refused in one line")
    func untrustedCertificate() throws {
        let dir = try CLIHarness.makeTemporaryDirectory()
        defer { CLIHarness.cleanUp(dir) }
        try Self.makeCertificates(in: dir)
        let (data, sha) = try WeightsFetchTests.makeCheckpoint(in: dir)
        let name = "tiny-\(sha.prefix(8)).pth"
        let served = dir.appendingPathComponent("www/models")
        try FileManager.default.createDirectory(at: served, withIntermediateDirectories: true)
        try data.write(to: served.appendingPathComponent(name))
        let port = Self.freePort()
        let server = Process()
        server.executableURL = CLIHarness.tool("openssl")
        server.arguments = ["s_server", "-accept", "127.0.0.1:\(port)", "-cert", dir.appendingPathComponent("server.pem").path,
                            "-key", dir.appendingPathComponent("server.key").path, "-WWW", "-quiet"]
        server.currentDirectoryURL = dir.appendingPathComponent("www")
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer { server.terminate(); kill(server.processIdentifier, SIGKILL); server.waitUntilExit() }
        // Listening, or the refusal below would be "connection refused" rather than the certificate.
        guard LoopbackPort.waitUntilListening(port, alive: { server.isRunning }) else {
            throw CLIHarness.Failure(description: "openssl s_server did not listen on \(port)")
        }
        let cache = dir.appendingPathComponent("cache")
        let result = try WeightsFetchTests.mrcnn(["weights", "fetch", "--file", name, "--base-url", "https://127.0.0.1:\(port)/models/"],
                                                 cache: cache, in: dir)
        WeightsFetchTests.expectOneLineError(result, "certificate", cache: cache)
    }

    static func freePort() -> Int { Broker.freePort() }
}
