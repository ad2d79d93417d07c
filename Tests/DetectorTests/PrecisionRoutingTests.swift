import Detector
import Pipeline
import Synchronization
import Tensor
import Testing

/// A frame's `FrameSettings.precision` picks the model it runs on (what a frame-rate controller's bf16 rung
/// relies on), and `PrecisionModels` loads each precision once.
@Suite struct PrecisionRoutingTests {
    /// A stand-in model that remembers the precision it was built for.
    struct Built: Sendable { let precision: Precision }

    @Test func eachPrecisionIsBuiltOnceKeyedByWhatRuns() throws {
        let builds = Mutex([Precision]())
        let models = try PrecisionModels<Built>(standard: .fp32) { p in
            builds.withLock { $0.append(p) }
            return Built(precision: p)
        }
        #expect(builds.withLock { $0 } == [.fp32])
        #expect(try models.model(for: nil).precision == .fp32)
        #expect(try models.model(for: .fp32).precision == .fp32)
        #expect(try models.model(for: .bf16Emulated).precision == .bf16Emulated)
        #expect(try models.model(for: .bf16Emulated).precision == .bf16Emulated)
        // bf16 without bf16 units is the fp32 model, not a second copy of it.
        let bf16 = try models.model(for: .bf16).precision
        #expect(bf16 == (CPUFeatures.current.hasBF16Units ? .bf16 : .fp32))
        #expect(builds.withLock { $0 }.count == (CPUFeatures.current.hasBF16Units ? 3 : 2))
    }

    @Test func framesAreGroupedByPrecisionInOrder() {
        let groups = PrecisionModels<Built>.groups(["fp32", "fp32", "bf16", nil, "bf16"])
        #expect(groups.map(\.precision) == ["fp32", "bf16", nil])
        #expect(groups.map(\.indices) == [[0, 1], [2, 4], [3]])
    }

    @Test func autoIsBF16OnlyWithBF16Units() {
        let key = ModelOptionKeys.precision
        #expect(key.parse("auto") == .some(nil) && key.parse("fp16") == nil && key.parse("bf16") == .some(.bf16))
        #expect(key.format(nil) == "auto" && key.format(.bf16Emulated) == "bf16-emulated")
        #expect(ModelOptionKeys.ladderPrecisions(nil, calibrated: false) == (CPUFeatures.current.hasBF16Units ? [.fp32, .bf16] : [.fp32]))
        #expect(ModelOptionKeys.ladderPrecisions(.fp32, calibrated: true) == [.fp32])
    }

    @Test("auto's ladder: fp32, bf16 where the CPU has bf16 units, int8 below them when a calibration is at hand")
    func ladderStepsToInt8WithACalibration() {
        // The CPUs CI runs on, by the features that decide: AVX2 only, AVX512-BF16 with VNNI, AMX.
        let cpus = [CPUFeatures(flags: ["avx2", "fma"], onednnISA: "avx2"), CPUFeatures(flags: ["avx512_bf16", "avx512_vnni"], onednnISA: "avx512_core_bf16"),
                    CPUFeatures(flags: ["amx_bf16", "amx_tile", "amx_int8"], onednnISA: "avx512_core_amx")]
        for cpu in cpus {
            let bf16: [Precision] = cpu.hasBF16Units ? [.bf16] : []
            #expect(ModelOptionKeys.ladderPrecisions(nil, calibrated: true, cpu: cpu) == [.fp32] + bf16 + [.int8])
            #expect(ModelOptionKeys.ladderPrecisions(nil, calibrated: false, cpu: cpu) == [.fp32] + bf16)
            #expect(ModelOptionKeys.ladderPrecisions(.int8, calibrated: true, cpu: cpu) == [.int8])
        }
        #expect(cpus.map(\.hasBF16Units) == [false, true, true])
    }

    /// A 160×120 frame with a few flat shapes on a gradient (seeded weights detect something on anything).
    static func frame(_ index: Int, settings: FrameSettings?) -> FrameRecord {
        var pixels = [UInt8](repeating: 0, count: 160 * 120 * 3)
        for y in 0..<120 {
            for x in 0..<160 {
                let inBox = (30..<80).contains(x) && (20..<90).contains(y) || (100..<150).contains(x) && (60..<110).contains(y)
                let v = inBox ? (UInt8(200), UInt8(40), UInt8(60)) : (UInt8(x), UInt8(y * 2), UInt8((x + y) % 256))
                (pixels[(y * 160 + x) * 3], pixels[(y * 160 + x) * 3 + 1], pixels[(y * 160 + x) * 3 + 2]) = v
            }
        }
        var record = FrameRecord(index: index, pts: Int64(index), time: Double(index), image: RGBImage(width: 160, height: 120, pixels: pixels))
        record.settings = settings
        return record
    }

    /// Runs detector + mask built with `precision` on `frames`; boxes, scores and mask pixel counts per frame.
    static func run(precision: String, _ frames: [FrameRecord]) throws -> [[[Float]]] {
        let registry = StageRegistry()
        DetectorPlugin.register(in: registry)
        let plans = try registry.plans(for: ["detector", "mask"], options: registry.resolve([
            ("detector.weights", "seeded:0"), ("detector.min-size", "160"), ("detector.score-threshold", "0"),
            ("detector.precision", precision), ("detector.proposals", "200"), ("detector.detections", "20")]))
        let stages = try plans.map { try $0.make() }
        var batch = frames
        for stage in stages { try stage.process(&batch) }
        return batch.map { record in
            record.instances.map { i in
                [i.box.x1, i.box.y1, i.box.x2, i.box.y2, i.score, i.mask.map { Float($0.bits.reduce(0) { $0 + $1.nonzeroBitCount }) } ?? -1]
            }
        }
    }

    @Test func aFramesPrecisionSettingPicksItsModel() throws {
        // One batch: frame 0 at the stage's fp32, frame 1 asking for bf16-emulated.
        let mixed = try Self.run(precision: "fp32", [Self.frame(0, settings: nil),
                                                     Self.frame(1, settings: FrameSettings(precision: .bf16Emulated))])
        let fp32 = try Self.run(precision: "fp32", [Self.frame(0, settings: nil)])
        let emulated = try Self.run(precision: "bf16-emulated", [Self.frame(1, settings: nil)])
        try #require(!fp32[0].isEmpty)
        #expect(mixed[0] == fp32[0])
        #expect(mixed[1] == emulated[0])
        // bf16 rounding changes the numbers, so the routing is visible.
        #expect(mixed[1] != mixed[0])
    }
}
