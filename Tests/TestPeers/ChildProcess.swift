import Foundation
import Glibc

/// A child process started with posix_spawn and an empty signal mask. Foundation's `Process` passes on the mask of
/// the thread that starts it, and the test runner's threads block SIGTERM, so a broker started that way never sees
/// the SIGTERM that makes it save its state and exit. Output goes to a file; `descriptors` maps descriptors of this
/// process onto numbers in the child (a pipe onto 3, say); use from one thread.
public final class ChildProcess {
    public let pid: pid_t
    private var exited = false

    public init(_ executable: String, _ arguments: [String], output: String, descriptors: [Int32: Int32] = [:]) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        for (mine, theirs) in descriptors { posix_spawn_file_actions_adddup2(&actions, mine, theirs) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, executable, &actions, &attributes, argv, environ)
        guard rc == 0 else { throw BrokerError(message: "\(executable): \(String(cString: strerror(rc)))") }
        pid = child
    }

    public var isRunning: Bool {
        guard !exited else { return false }
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid { exited = true }
        return !exited
    }

    /// Sends `signal` and waits for the process to exit.
    public func stop(_ signal: Int32 = SIGTERM) {
        guard isRunning else { return }
        kill(pid, signal)
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
        exited = true
    }

    deinit { stop(SIGKILL) }
}
