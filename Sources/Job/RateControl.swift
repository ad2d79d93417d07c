import Foundation
import Pipeline

/// The frame-rate controller of one run, wired to the clock: puts the settings dial on every frame read, measures
/// each finished frame's cost and feeds it to the `FrameRateController`, turns the dial on a change (logged once)
/// and reports what it settled on. Files (`lossless`): the cost is the interval between finished frames, so it
/// holds throughput. `latest`: the cost is the frame's time from capture to the sink, so it holds freshness.
/// Used from the job's sink task; the reader only puts the (thread-safe) `dial` on each record.
final class RateControl {
    private(set) var controller: FrameRateController
    let dial: SettingsDial
    private let policy: FramePolicy
    private let log: @Sendable (String) -> Void
    private var lastDelivery: ContinuousClock.Instant?
    private var changes = 0
    private var mixing = false
    /// Deliveries at the current settings: first and last time, count.
    private var heldSince: ContinuousClock.Instant?
    private var heldLast: ContinuousClock.Instant?
    private var heldFrames = 0

    /// `dial`: the one the stream's reader already stamps on its records (default: a new one at the ladder's first rung).
    init(ladder: QualityLadder, targetFPS: Double, policy: FramePolicy, dial: SettingsDial? = nil,
         log: @escaping @Sendable (String) -> Void) {
        controller = FrameRateController(ladder: ladder, targetFPS: targetFPS)
        self.dial = dial ?? SettingsDial(ladder[0])
        self.policy = policy
        self.log = log
    }


    /// A finished frame reached the sink.
    func finished(_ record: FrameRecord) {
        let now = ContinuousClock.now
        defer { lastDelivery = now }
        let frameSettings = record.settings
        if controller.isCurrent(frameSettings) {
            if heldSince == nil { heldSince = now }
            heldLast = now
            heldFrames += 1
        }
        let since = policy == .latest ? record.timing.readAt : lastDelivery
        guard let since else { return }
        let change = controller.observe(frameSettings, seconds: since.duration(to: now).inSeconds)
        defer { dial.current = controller.nextSettings() }
        if change == nil, (controller.mix > 0) != mixing {
            mixing = controller.mix > 0
            if mixing, controller.rung > 0 {
                log(String(format: "target %.2f fps: also %@ on %.0f %% of frames (rung %d fits, rung %d does not)",
                           controller.targetFPS, controller.ladder[controller.rung - 1].description, controller.mix * 100,
                           controller.rung, controller.rung - 1))
            }
        }
        guard let change else { return }
        (changes, mixing) = (changes + 1, false)
        heldSince = nil
        heldLast = nil
        heldFrames = 0
        log(String(format: "target %.2f fps: %@ at %.0f ms/frame → %@ (rung %d of %d)", controller.targetFPS,
                   change.to > change.from ? "down" : "up", change.measuredSeconds * 1000,
                   change.settings.description, change.to, controller.ladder.count - 1))
    }

    /// Frames per second held at the final settings (nil with fewer than 2 frames there).
    var heldFPS: Double? {
        guard let heldSince, let heldLast, heldFrames >= 2 else { return nil }
        let s = heldSince.duration(to: heldLast).inSeconds
        return s > 0 ? Double(heldFrames - 1) / s : nil
    }

    /// Closing-report lines: target, what it settled on, the rate held there, how many changes.
    var summaryLines: [String] {
        let c = controller
        var lines = [String(format: "  target: %.2f fps (%@); settled on %@ (rung %d of %d, %d changes)%@", c.targetFPS,
                            policy == .latest ? "freshness" : "throughput", c.settings.description, c.rung,
                            c.ladder.count - 1, changes,
                            c.mix > 0 && c.rung > 0 ? String(format: ", %.0f %% of frames at rung %d", c.mix * 100, c.rung - 1) : "")]
        if let fps = heldFPS {
            lines.append(String(format: "  held: %.2f fps over the last %d frames%@", fps, heldFrames,
                                fps < c.targetFPS * 0.9 && c.rung == c.ladder.count - 1 ? " (the floor rung: the best this machine holds)" : ""))
        }
        return lines
    }
}
