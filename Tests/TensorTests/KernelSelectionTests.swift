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

    @Test func choicesReadBackFromText() {
        for c in [KernelChoice.fp32Direct, .fp32Winograd, .bf16Direct, .bf16Winograd] { #expect(KernelChoice(c.description) == c) }
        #expect(KernelChoice("fp16 direct") == nil)
        #expect(KernelPolicy.named("winograd") == .winograd && KernelPolicy.named("fast") == nil)
    }
}
