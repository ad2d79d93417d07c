import Foundation
import Glibc

/// nginx with Debian's RTMP module (`libnginx-mod-rtmp`) on a free loopback port, one process, no daemon.
public final class RTMPServer {
    public let port = Broker.freePort()
    public let directory: URL
    private var process: Process?

    public init(directory: URL) throws {
        self.directory = directory
        let conf = """
        load_module /usr/lib/nginx/modules/ngx_rtmp_module.so;
        daemon off;
        master_process off;
        pid \(directory.path)/nginx.pid;
        error_log \(directory.path)/nginx-error.log;
        events { worker_connections 64; }
        rtmp { server { listen 127.0.0.1:\(port); application live { live on; record off; } } }
        """
        try conf.write(to: directory.appendingPathComponent("nginx.conf"), atomically: true, encoding: .utf8)
    }

    public func start() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/sbin/nginx")
        p.arguments = ["-e", directory.appendingPathComponent("nginx-error.log").path, "-p", directory.path,
                       "-c", directory.appendingPathComponent("nginx.conf").path]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        process = p
        if LoopbackPort.waitUntilListening(port, alive: { p.isRunning }) { return }
        throw BrokerError(message: "nginx did not listen on \(port): \((try? String(contentsOf: directory.appendingPathComponent("nginx-error.log"), encoding: .utf8)) ?? "")")
    }

    /// Kills the server like a crash (SIGKILL) and waits for it.
    public func kill() {
        guard let p = process, p.isRunning else { return }
        Glibc.kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        process = nil
    }

    deinit { kill() }
}
