import Foundation

/// Capture-to-sink latency of the frames a run delivered, in milliseconds (all 0 when none was delivered).
///
/// A frame's capture time is when the reader got it from the source (decoded); its sink time is when the
/// sink is handed the finished (rendered) frame. For a live source this is the delay the pipeline adds.
public struct LatencyStats: Sendable, Equatable {
    public let count: Int
    public let meanMilliseconds: Double
    public let medianMilliseconds: Double
    public let p95Milliseconds: Double
    public let maxMilliseconds: Double

    public init(count: Int, meanMilliseconds: Double, medianMilliseconds: Double, p95Milliseconds: Double,
                maxMilliseconds: Double) {
        self.count = count
        self.meanMilliseconds = meanMilliseconds
        self.medianMilliseconds = medianMilliseconds
        self.p95Milliseconds = p95Milliseconds
        self.maxMilliseconds = maxMilliseconds
    }

    /// Statistics of the given samples (milliseconds).
    public init(samples: [Double]) {
        guard !samples.isEmpty else {
            self.init(count: 0, meanMilliseconds: 0, medianMilliseconds: 0, p95Milliseconds: 0, maxMilliseconds: 0)
            return
        }
        let sorted = samples.sorted()
        func quantile(_ q: Double) -> Double { sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * q).rounded()))] }
        self.init(count: sorted.count, meanMilliseconds: sorted.reduce(0, +) / Double(sorted.count),
                  medianMilliseconds: quantile(0.5), p95Milliseconds: quantile(0.95), maxMilliseconds: sorted[sorted.count - 1])
    }
}
