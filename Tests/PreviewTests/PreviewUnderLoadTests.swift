import Foundation
import Pipeline
import Preview
import Synchronization
import Testing

/// Stages run on threads of their own, so model work never holds the concurrency pool: with more busy stages
/// than cores, the preview server (Hummingbird, on the pool) still answers. The stages spin the CPU (no sleep, no
/// lock) until the answer has arrived, so under the old design (stages inside pool tasks) the answer could only
/// come after the stages gave up — the bound below is generous and only that bug can exceed it.
///
/// The scenario runs in a process of its own (this test bundle again, filtered to it): in the shared test process
/// other suites compute on the pool (parity tests run the model in their bodies) and would starve the server
/// whatever the runner does.
@Suite("preview under load", .serialized)
struct PreviewUnderLoadTests {
    /// Spins until `release` is set; counts how many are spinning.
    final class BusyStage: Stage {
        let spinning: Counter
        let release: StopFlag

        init(spinning: Counter, release: StopFlag) {
            self.spinning = spinning
            self.release = release
        }

        func process(_ batch: inout [FrameRecord]) throws {
            spinning.add(1)
            var x = 0.0
            while !release.isSet {
                for i in 0..<20_000 { x += Double(i).squareRoot() }
            }
            if x < 0 { batch.removeAll() }   // keeps the loop from being optimised away
        }
    }

    final class Counter: Sendable {
        private let value = Mutex(0)
        func add(_ n: Int) { value.withLock { $0 += n } }
        var current: Int { value.withLock { $0 } }
    }

    /// A blocking HTTP GET on a thread of its own; returns the status line and the seconds it took, measured on
    /// that thread (so the measurement itself needs no pool thread).
    static func timedGET(port: Int, path: String) async -> (status: String, seconds: Double) {
        await withCheckedContinuation { continuation in
            Thread {
                let start = ContinuousClock.now
                let bytes = rawGET(port: port, path: path) { _ in false }
                let elapsed = start.duration(to: .now)
                let status = String(decoding: bytes.prefix { $0 != 13 }, as: UTF8.self)
                continuation.resume(returning: (status, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18))
            }.start()
        }
    }

    @Test("the preview answers while more model-like stages than cores are busy (in a process of its own)",
          .enabled(if: !OwnProcess.isChild))
    func previewAnswersUnderLoad() throws {
        let child = try OwnProcess.run(filter: "PreviewUnderLoadTests")
        #expect(child.status == 0, "\(child.output.suffix(4000))")
        #expect(child.output.contains("the scenario") && child.output.contains("passed"), "\(child.output.suffix(4000))")
    }

    @Test("the scenario", .enabled(if: OwnProcess.isChild))
    func scenario() async throws {
        let server = try PreviewServer(address: "127.0.0.1:0")
        let port = try await server.start()
        let busy = max(4, 2 * ProcessInfo.processInfo.activeProcessorCount)
        let spinning = Counter(), release = StopFlag()
        let deadline = ContinuousClock.now + .seconds(60)
        // A watchdog on its own thread: whatever happens, the stages stop spinning after the deadline.
        Thread {
            while !release.isSet, ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.05) }
            release.set()
        }.start()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<busy {
                group.addTask {
                    let sent = Counter()
                    let plan = StagePlan(name: "busy") { BusyStage(spinning: spinning, release: release) }
                    _ = try await PipelineRunner(plans: [plan]).run(read: {
                        guard sent.current == 0 else { return nil }
                        sent.add(1)
                        return FrameRecord(index: 0, pts: 0, time: 0, image: RGBImage(width: 2, height: 2))
                    }) { _ in }
                }
            }
            // Wait (off the pool) until every stage spins, then ask the preview.
            let allSpinning: Bool = await withCheckedContinuation { continuation in
                Thread {
                    while spinning.current < busy, !release.isSet { Thread.sleep(forTimeInterval: 0.01) }
                    continuation.resume(returning: spinning.current >= busy)
                }.start()
            }
            #expect(allSpinning, "only \(spinning.current) of \(busy) stages started: stages wait for pool threads")
            let answer = await Self.timedGET(port: port, path: "/stats.json")
            release.set()
            #expect(answer.status.hasPrefix("HTTP/1.1 200"), "\(answer.status)")
            #expect(answer.seconds < 5, "the preview took \(answer.seconds) s while stages were busy")
            try await group.waitForAll()
        }
        await server.stop()
    }
}
