import Foundation
import Testing
import Tensor

/// How a layer gets its kernel: the policy's fixed choices, a given plan, and the measured choice — timed once per
/// shape class on this CPU, kept in the plan cache (a file a later process reads) and then reused without timing.
/// Nothing here depends on which candidate wins (timings differ per CPU and load).
@Suite struct KernelSelectionTests {
    let ws = Workspace()

    func conv(_ engine: ComputeEngine, cin: Int = 64, cout: Int = 64, decision: Bool = false, rois: Bool = false) -> Conv2D {
        Conv2D(weight: (0..<(cout * cin * 9)).map { Float($0 % 17) / 170 - 0.05 }, bias: nil, outChannels: cout, inChannels: cin,
               kernel: 3, padding: 1, rois: rois, decision: decision, engine: engine)
    }

    func input(_ c: Int = 64, n: Int = 1) -> FeatureMap { FeatureMap(Tensor(shape: [n, c, 20, 24], data: (0..<(n * c * 480)).map { Float($0 % 13) / 13 })) }

    @Test func policiesFixTheAlgorithm() {
        for (policy, want) in [(KernelPolicy.direct, KernelChoice.fp32Direct), (.winograd, .fp32Winograd),
                               (.plan(KernelPlan(["fp32 conv3x3/1 64→64 maps": .fp32Winograd])), .fp32Winograd)] {
            let c = conv(ComputeEngine(backend: .auto, kernels: policy))
            #expect(c.choice == nil && c.implementation == "not chosen yet")
            _ = c(input(), workspace: ws)
            #expect(c.choice == want, "\(policy)")
            #expect(c.shapeClass == "fp32 conv3x3/1 64→64 maps")
        }
        // Backends other than auto, decision layers and 1×1 layers run direct.
        let direct = [conv(ComputeEngine(backend: .onednn, kernels: .winograd)),
                      conv(ComputeEngine(backend: .auto, kernels: .winograd), decision: true)]
        for c in direct { _ = c(input(), workspace: ws); #expect(c.choice == .fp32Direct) }
        let reference = conv(.reference)
        _ = reference(input(), workspace: ws)
        #expect(reference.implementation.hasPrefix("OpenBLAS"))
    }

    /// The first layer of a class is timed, the cache records every candidate's time and the winner, a second layer of
    /// the class takes the recorded choice without timing, and the cache's file (what a later process reads) holds it.
    @Test func measuredChoicesPersist() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mrcnn-kernels-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cache = KernelPlanCache.at(dir)
        #expect(cache.measured.isEmpty)
        let engine = ComputeEngine(backend: .auto, kernels: .measured, planCache: cache)
        let first = conv(engine, cin: 40, cout: 48, rois: true)
        _ = first(input(40, n: 3), workspace: ws)
        let entry = try #require(cache.measured.first { $0.key == "fp32 conv3x3/1 40→48 rois" }?.entry)
        #expect(Set(entry.milliseconds.keys) == ["fp32 direct", "fp32 Winograd"])
        #expect(entry.milliseconds.values.allSatisfy { $0 > 0 })
        #expect(first.choice == entry.choice)
        let second = conv(engine, cin: 40, cout: 48, rois: true)
        _ = second(input(40, n: 2), workspace: ws)
        #expect(second.choice == entry.choice)
        let path = try #require(cache.path)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        #expect(json["fingerprint"] as? String == KernelPlanCache.fingerprint)
        let saved = (json["classes"] as! [String: [String: Any]])["fp32 conv3x3/1 40→48 rois"]
        #expect(saved?["choice"] as? String == entry.choice.description)
    }

    /// A class left unsettled by an earlier process (timings too close to call) is measured again once by the next
    /// one, its best times merged (the earlier, faster-looking time stays) and its count raised; a settled class is
    /// taken as it is, without timing, unless it was measured on a machine far slower than this process finds it.
    @Test func unsettledAndStaleChoicesAreMeasuredAgain() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mrcnn-kernels-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cache = KernelPlanCache.at(dir)
        let path = try #require(cache.path)
        let classes: [String: Any] = [
            "fp32 conv3x3/1 40→48 rois": ["choice": "fp32 Winograd", "milliseconds": ["fp32 direct": 1e-6, "fp32 Winograd": 1e6],
                                          "errors": ["fp32 direct": 0, "fp32 Winograd": 0], "settled": false, "measurements": 1],
            "fp32 conv3x3/1 40→56 rois": ["choice": "fp32 Winograd", "milliseconds": ["fp32 direct": 1e-6, "fp32 Winograd": 1e6],
                                          "errors": ["fp32 direct": 0, "fp32 Winograd": 0], "settled": true, "measurements": 1],
            "fp32 conv3x3/1 40→64 rois": ["choice": "fp32 Winograd", "milliseconds": ["fp32 direct": 1e6, "fp32 Winograd": 1e6],
                                          "errors": ["fp32 direct": 0, "fp32 Winograd": 0], "settled": true, "measurements": 1,
                                          "yardstick": 1e-3]]
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try JSONSerialization.data(withJSONObject: ["fingerprint": KernelPlanCache.fingerprint, "classes": classes])
            .write(to: URL(fileURLWithPath: path))
        let engine = ComputeEngine(backend: .auto, kernels: .measured, planCache: cache)
        for _ in 0..<2 {   // the second layer of the class takes the merged entry without timing again
            let unsettled = conv(engine, cin: 40, cout: 48, rois: true)
            _ = unsettled(input(40, n: 2), workspace: ws)
            let entry = try #require(cache.measured.first { $0.key == "fp32 conv3x3/1 40→48 rois" }?.entry)
            #expect(entry.measurements == 2 && entry.milliseconds["fp32 direct"] == 1e-6)
            #expect(entry.choice == .fp32Direct && unsettled.choice == .fp32Direct)
        }
        let settled = conv(engine, cin: 40, cout: 56, rois: true)
        _ = settled(input(40, n: 2), workspace: ws)
        let kept = try #require(cache.measured.first { $0.key == "fp32 conv3x3/1 40→56 rois" }?.entry)
        #expect(kept.measurements == 1 && kept.milliseconds["fp32 Winograd"] == 1e6 && settled.choice == .fp32Winograd)
        let stale = conv(engine, cin: 40, cout: 64, rois: true)
        _ = stale(input(40, n: 2), workspace: ws)
        let replaced = try #require(cache.measured.first { $0.key == "fp32 conv3x3/1 40→64 rois" }?.entry)
        #expect(replaced.measurements == 1 && replaced.milliseconds.values.allSatisfy { $0 < 1e6 } && replaced.yardstick > 1e-3)
    }

    /// In a bf16 chain a layer that stores fp32 is a class of its own (its kernels write another type).
    @Test func storesAreTheirOwnShapeClass() {
        let engine = ComputeEngine(backend: .auto, precision: .bf16Emulated)
        let bf16Stores = conv(engine), fp32Stores = Conv2D(weight: [Float](repeating: 0.01, count: 64 * 64 * 9), bias: nil,
                                                           outChannels: 64, inChannels: 64, kernel: 3, padding: 1,
                                                           storesFP32: true, engine: engine)
        #expect(bf16Stores.shapeClass == "bf16 conv3x3/1 64→64 maps")
        #expect(fp32Stores.shapeClass == "bf16 conv3x3/1 64→64 maps f32 out")
        #expect(conv(ComputeEngine(backend: .auto)).shapeClass == "fp32 conv3x3/1 64→64 maps")
    }

    @Test func choicesReadBackFromText() {
        for c in [KernelChoice.fp32Direct, .fp32Winograd, .bf16Direct, .bf16Winograd] { #expect(KernelChoice(c.description) == c) }
        #expect(KernelChoice("fp16 direct") == nil)
        #expect(KernelPolicy.named("winograd") == .winograd && KernelPolicy.named("fast") == nil)
    }
}
