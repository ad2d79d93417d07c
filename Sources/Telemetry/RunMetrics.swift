import CoreMetrics
import Prometheus
import Synchronization

/// A run's metrics, recorded through swift-metrics into a swift-prometheus registry of the run's own (no global
/// bootstrap) and rendered in Prometheus's text format for `/metrics`. One `StreamMetrics` per stream (label
/// `stream`; a single-stream run has one, named after its input) and the `shared` figures of the one model and
/// publisher; every metric has help text, so `promtool check metrics` passes. Thread-safe.
public final class RunMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let factory: PrometheusMetricsFactory

    /// Latency buckets from 5 ms to 60 s: a model frame takes 0.1–5 s on CPUs, a render a few ms.
    static let latencyBuckets: [Duration] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]
        .map { Duration.milliseconds(Int64($0 * 1000)) }

    private let sharedMetrics = Mutex<SharedMetrics?>(nil)

    public init() {
        factory = PrometheusMetricsFactory(registry: registry)
    }

    /// The figures every stream shares (made at first use).
    public var shared: SharedMetrics {
        sharedMetrics.withLock { m in
            if let m { return m }
            let made = SharedMetrics(run: self)
            m = made
            return made
        }
    }

    /// The handles of one stream (`name`: the stream's name; a single-stream run uses its input's base name).
    public func stream(_ name: String) -> StreamMetrics { StreamMetrics(run: self, stream: name) }

    /// Everything recorded so far, in Prometheus's text exposition format (version 0.0.4).
    public var text: String { registry.emitToString() }

    /// The content type `/metrics` answers with.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// A metric's full name (unit included) and its help text.
    static func descriptor(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    func counter(_ name: String, _ help: String, _ labels: [(String, String)]) -> CoreMetrics.Counter {
        CoreMetrics.Counter(label: name, dimensions: labels, handler: registry.makeCounter(descriptor: Self.descriptor(name, help), labels: labels), factory: factory)
    }

    func gauge(_ name: String, _ help: String, _ labels: [(String, String)]) -> CoreMetrics.Gauge {
        CoreMetrics.Gauge(label: name, dimensions: labels, aggregate: false,
                          handler: registry.makeGauge(descriptor: Self.descriptor(name, help), labels: labels), factory: factory)
    }

    func timer(_ name: String, _ help: String, _ labels: [(String, String)]) -> CoreMetrics.Timer {
        let histogram = registry.makeDurationHistogram(descriptor: Self.descriptor(name, help), labels: labels, buckets: Self.latencyBuckets)
        return CoreMetrics.Timer(label: name, dimensions: labels, handler: histogram, factory: factory)
    }
}
