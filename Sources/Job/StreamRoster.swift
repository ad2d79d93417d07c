import Foundation
import Pipeline
import Preview
import Synchronization
import VideoIO

/// The streams of a running `MultiStreamJob`, as `GET`/`POST`/`DELETE /streams` on its status server see them: a
/// stream added joins the batches at its first frame (its reader opens the input on its own thread, its outputs
/// `DIR/NAME.*` are made at that frame), a removed one stops reading and its outputs are finalised once its last
/// frame is written. Positions are stream ids. Thread-safe; adds and removes are taken one at a time.
final class StreamRoster: Sendable {
    /// One stream: its source, its reader, the settings dial its records carry, whether it was removed.
    struct Entry: Sendable {
        let source: MultiStreamJob.Source
        let input: StreamInput
        let dial: SettingsDial?
        var removed = false
    }

    private struct State {
        var entries: [Entry]
        var chain: ChainRun?
    }

    private let state: Mutex<State>
    /// Checks a new source and makes its reader and dial (a one-line error when it cannot be a stream).
    private let make: @Sendable (MultiStreamJob.Source) throws -> (StreamInput, SettingsDial?)
    private let session: LiveSession

    init(_ entries: [Entry], session: LiveSession, make: @escaping @Sendable (MultiStreamJob.Source) throws -> (StreamInput, SettingsDial?)) {
        state = Mutex(State(entries: entries))
        (self.session, self.make) = (session, make)
        session.inputs = entries.map(\.input)
    }

    /// The run that takes new streams, once it reads.
    func attach(_ chain: ChainRun) { state.withLock { $0.chain = chain } }

    /// Stream `id`, if there is one.
    subscript(id: Int) -> Entry? { state.withLock { id < $0.entries.count ? $0.entries[id] : nil } }

    /// What `GET /streams` lists (inputs without the passwords URLs may carry).
    var listing: [StreamControl.Entry] {
        let counts = session.scheduler?.counts ?? []
        return state.withLock { s in
            s.entries.enumerated().map { id, e in
                let state = e.removed ? "removed" : id < counts.count && counts[id].ended ? "ended" : "running"
                return StreamControl.Entry(name: e.source.name, input: Self.redacted(e.source.input), state: state)
            }
        }
    }

    /// Adds a stream (`name` nil: from the input, as on the command line) and returns its name.
    func add(name: String?, input: String) throws -> String {
        let source = try MultiStreamJob.sources([name.map { "\($0)=\(input)" } ?? input])[0]
        return try state.withLock { s in
            guard let chain = s.chain, chain.accepting else { throw JobError.notRunning }
            if s.entries.contains(where: { $0.source.name == source.name }) { throw JobError.streamNamedTwice(source.name) }
            let (reader, dial) = try make(source)
            s.entries.append(Entry(source: source, input: reader, dial: dial))
            session.inputs = s.entries.map(\.input)
            chain.add(reader)
            session.showTiles()
            return source.name
        }
    }

    /// Removes the stream named `name`; false when there is no such stream running.
    func remove(_ name: String) -> Bool {
        state.withLock { s in
            guard let chain = s.chain, let id = s.entries.firstIndex(where: { $0.source.name == name && !$0.removed }) else { return false }
            s.entries[id].removed = true
            chain.retire(id)
            return true
        }
    }

    /// The status server's `/streams` for this roster.
    var control: StreamControl {
        StreamControl(list: { [weak self] in self?.listing ?? [] },
                      add: { [weak self] name, input in
                          guard let self else { throw JobError.notRunning }
                          return try self.add(name: name, input: input)
                      },
                      remove: { [weak self] name in self?.remove(name) ?? false })
    }

    /// `input` with any `user:password@` of a URL replaced by `***@`.
    static func redacted(_ input: String) -> String {
        guard let scheme = input.range(of: "://"), let at = input[scheme.upperBound...].firstIndex(of: "@"),
              !input[scheme.upperBound..<at].contains("/") else { return input }
        return String(input[..<scheme.upperBound]) + "***" + String(input[at...])
    }
}
