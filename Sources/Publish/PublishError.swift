/// One-line errors of publishing results to a broker; each names the target or file it concerns and never holds a
/// password.
public enum PublishError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The target URL is unusable (`text`, why).
    case badTarget(String, String)
    /// The credentials file is unusable (path, why).
    case credentials(String, String)
    /// The CA file for TLS is missing or unreadable.
    case caFile(String)
    /// The broker answered but refused this client (target, the broker's reason): wrong password, not authorised.
    case refused(String, String)
    /// The client could not be set up (target, libmosquitto's reason).
    case setup(String, String)

    public var description: String {
        switch self {
        case .badTarget(let text, let why): return "\(text): \(why)"
        case .credentials(let path, let why): return "\(path): cannot use as broker credentials: \(why)"
        case .caFile(let path): return "\(path): no such CA certificate file"
        case .refused(let target, let why): return "\(target): the broker refused the connection (\(why))"
        case .setup(let target, let why): return "\(target): cannot set up the MQTT client (\(why))"
        }
    }
}
