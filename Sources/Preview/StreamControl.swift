import Foundation
import Hummingbird
import NIOCore

/// What `/streams` on a many-source run's status server does, supplied by the run: `GET /streams` lists the streams,
/// `POST /streams` with a JSON body `{"input": "rtsp://…", "name": "cam5"}` (name optional) adds one, `DELETE
/// /streams/NAME` removes one. The closures run on the server's threads; the same token rule as every other route.
public struct StreamControl: Sendable {
    /// One stream as `GET /streams` lists it.
    public struct Entry: Codable, Sendable, Equatable {
        public let name: String
        public let input: String
        /// running, ended or removed.
        public let state: String
        public init(name: String, input: String, state: String) { (self.name, self.input, self.state) = (name, input, state) }
    }

    public let list: @Sendable () -> [Entry]
    /// Adds a stream (name nil: the run names it) and returns its name; throws a one-line refusal.
    public let add: @Sendable (_ name: String?, _ input: String) throws -> String
    /// Removes the named stream; false when there is none running.
    public let remove: @Sendable (_ name: String) -> Bool

    public init(list: @escaping @Sendable () -> [Entry], add: @escaping @Sendable (String?, String) throws -> String,
                remove: @escaping @Sendable (String) -> Bool) {
        (self.list, self.add, self.remove) = (list, add, remove)
    }

    /// The body `POST /streams` takes.
    struct Request: Decodable {
        let input: String
        let name: String?
    }

    /// Adds the three routes to `router`, answering from `control()` (404 while there is none).
    static func routes<Context: RequestContext>(on router: Router<Context>, control: @escaping @Sendable () -> StreamControl?) {
        router.get("/streams") { _, _ in
            guard let control = control() else { return reply(.notFound, "no streams to control\n") }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let json = (try? encoder.encode(["streams": control.list()])) ?? Data("{}".utf8)
            return Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: json)))
        }
        router.post("/streams") { request, _ in
            guard let control = control() else { return reply(.notFound, "no streams to control\n") }
            // JSON only: a browser cannot send it cross-site without a preflight, which this server never grants.
            guard request.headers[.contentType]?.lowercased().hasPrefix("application/json") == true else {
                return reply(.unsupportedMediaType, "send {\"input\": \"…\", \"name\": \"…\"} as application/json\n")
            }
            let body = try await request.body.collect(upTo: 16 * 1024)
            guard let wanted = try? JSONDecoder().decode(Request.self, from: Data(body.readableBytesView)) else {
                return reply(.badRequest, "expected {\"input\": \"…\", \"name\": \"…\"} (name optional)\n")
            }
            do {
                let name = try control.add(wanted.name, wanted.input)
                return Response(status: .created, headers: [.contentType: "application/json", .location: "/stream/\(name)"],
                                body: ResponseBody(byteBuffer: ByteBuffer(string: "{\"name\":\"\(name)\"}\n")))
            } catch {
                return reply(.badRequest, "\(error)\n")
            }
        }
        router.delete("/streams/:name") { _, context in
            guard let control = control() else { return reply(.notFound, "no streams to control\n") }
            let name = context.parameters.get("name") ?? ""
            return control.remove(name) ? reply(.ok, "removed \(name)\n") : reply(.notFound, "no stream \(name) running\n")
        }
    }

    private static func reply(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(status: status, headers: [.contentType: "text/plain", .cacheControl: "no-store"],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
