import Foundation
import Publish
import Testing

/// The publish URL and credentials rules, and the outbox's drop-oldest accounting.
@Suite struct PublishTargetTests {
    @Test func urlsUsersWrite() throws {
        let plain = try PublishTarget(parsing: "mqtt://broker.local/shop/cam1")
        #expect(plain.host == "broker.local" && plain.port == 1883 && plain.topic == "shop/cam1" && !plain.tls && plain.user == nil)
        let tls = try PublishTarget(parsing: "mqtts://camera7@10.0.0.5:8884/a/b/c")
        #expect(tls.host == "10.0.0.5" && tls.port == 8884 && tls.topic == "a/b/c" && tls.tls && tls.user == "camera7")
        #expect(tls.description == "mqtts://camera7@10.0.0.5:8884/a/b/c")
        #expect(try PublishTarget(parsing: "mqtts://h/t").port == 8883)
        #expect(try PublishTarget(parsing: "mqtt://[::1]:1884/t").host == "::1")
    }

    @Test(arguments: [
        ("broker/topic", "not a URL"), ("http://h/t", "unsupported scheme"), ("mqtt://h", "no topic"), ("mqtt://h/", "no topic"),
        ("mqtt://h/a/+/c", "wildcards"), ("mqtt://h/#", "wildcards"), ("mqtt://u:secret@h/t", "password on the command line"),
        ("mqtt:///t", "no broker host"), ("mqtt://h:0/t", "out of range"), ("mqtt://h/t?x=1", "query"),
    ])
    func badURLsAreOneLineErrors(text: String, saying: String) {
        do {
            _ = try PublishTarget(parsing: text)
            Issue.record("\(text) accepted")
        } catch {
            // The URL as given, less a password (never in a log line).
            #expect(error.description.hasPrefix(text.replacingOccurrences(of: ":secret@", with: "@") + ": ") && error.description.contains(saying)
                    && !error.description.contains("\n") && !error.description.contains("secret@"), "\(error)")
        }
    }

    @Test func credentialsFromAPrivateFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("creds-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        func file(_ name: String, _ text: String, mode: Int) throws -> String {
            let path = dir.appendingPathComponent(name).path
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            chmod(path, mode_t(mode))
            return path
        }
        #expect(try PublishCredentials(file: file("a", "cam:pa:ss\nignored\n", mode: 0o600)) == PublishCredentials(user: "cam", password: "pa:ss"))
        #expect(try PublishCredentials(file: file("b", "justapassword\r\n", mode: 0o400)) == PublishCredentials(user: nil, password: "justapassword"))
        let open = try file("c", "cam:pw\n", mode: 0o644)
        #expect(throws: PublishError.credentials(open, "other users can read it (chmod 600 \(open))")) { try PublishCredentials(file: open) }
        let empty = try file("d", "\n", mode: 0o600)
        #expect(throws: PublishError.credentials(empty, "its first line is empty")) { try PublishCredentials(file: empty) }
        #expect(throws: PublishError.credentials("/no/such", "no such file")) { try PublishCredentials(file: "/no/such") }
    }

    @Test func theOutboxDropsTheOldestAndCountsThem() {
        var box = Outbox(capacity: 3)
        for i in 0..<5 { box.push([UInt8(i)]) }
        #expect(box.count == 3 && box.dropped == 2)
        #expect(box.pop() == [2])
        box.pushFront([2])
        box.pushFront([1])   // full: the message put back is the oldest, so it is the one dropped
        #expect(box.dropped == 3)
        #expect([box.pop(), box.pop(), box.pop(), box.pop()] == [[2], [3], [4], nil])
        #expect(box.isEmpty)
    }
}
