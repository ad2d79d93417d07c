// swift-tools-version: 6.2
import PackageDescription

/// Warnings are errors in every target of ours (Swift 6 language mode is the tools-version default). A safe
/// setting: SwiftPM accepts it in a package used by version (and ignores it there), unlike `unsafeFlags`.
/// Model code is only fast in release builds: run the model tests with `swift test -c release`.
let strict: [SwiftSetting] = [.treatAllWarnings(as: .error)]

/// Linux (x86-64) only: the code calls Glibc, FFmpeg, OpenBLAS and oneDNN directly, so no Apple platform is claimed.
let package = Package(
    name: "mrcnn",
    products: [
        .executable(name: "mrcnn", targets: ["mrcnn"]),
        // The plugin API as a shared library: runtime plugins (`mrcnn run --plugin X.so`) link it (docs/PLUGINS.md).
        .library(name: "MRCNNPluginAPI", type: .dynamic, targets: ["MRCNNPluginAPI"]),
        .library(name: "MaskRCNN", targets: ["MaskRCNN"]),
        .library(name: "Pipeline", targets: ["Pipeline"]),
        .library(name: "Job", targets: ["Job"]),
        .library(name: "Results", targets: ["Results"]),
        .library(name: "ModelZoo", targets: ["ModelZoo"]),
        .library(name: "PluginHost", targets: ["PluginHost"]),
        .library(name: "Detector", targets: ["Detector"]),
        .library(name: "Tracker", targets: ["Tracker"]),
        .library(name: "Renderer", targets: ["Renderer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-async-algorithms", from: "1.1.4"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"4.0.0"),
    ],
    targets: [
        // C interop lives only in these shim targets.
        .systemLibrary(name: "CFFmpeg", path: "Sources/CFFmpeg", pkgConfig: "libavformat",
                       providers: [.apt(["libavcodec-dev", "libavformat-dev", "libswscale-dev", "libavdevice-dev"])]),
        .systemLibrary(name: "CTurboJPEG", path: "Sources/CTurboJPEG", providers: [.apt(["libturbojpeg0-dev"])]),
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CMosquitto", path: "Sources/CMosquitto", pkgConfig: "libmosquitto",
                       providers: [.apt(["libmosquitto-dev"])]),
        // oneDNN (Debian's libdnnl-dev ships no pkg-config file; the module map links "dnnl").
        .systemLibrary(name: "CDNNL", path: "Sources/CDNNL", providers: [.apt(["libdnnl-dev"])]),

        // Model layers, bottom-up.
        .target(name: "Tensor", dependencies: ["COpenBLAS", "CDNNL"], swiftSettings: strict),
        .target(name: "JSONText", swiftSettings: strict),
        .target(name: "HostAddress", swiftSettings: strict),
        .target(name: "Checkpoint", dependencies: ["JSONText", .product(name: "ZIPFoundation", package: "ZIPFoundation")],
                swiftSettings: strict),
        .target(name: "MaskRCNN", dependencies: ["Tensor", "Checkpoint"], swiftSettings: strict),

        // Video and pipeline layers.
        .target(name: "VideoIO", dependencies: ["CFFmpeg", "CTurboJPEG"], swiftSettings: strict),
        .target(name: "MRCNNPluginAPI", swiftSettings: strict),
        .target(name: "Pipeline", dependencies: [
            "MRCNNPluginAPI",
            .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
        ], swiftSettings: strict),

        // The live preview web server (Hummingbird); only the tool depends on it.
        .target(name: "Preview", dependencies: [
            "HostAddress",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: strict),

        // Built-in stages.
        .target(name: "Renderer", dependencies: ["Pipeline"], path: "Plugins/Renderer", swiftSettings: strict),
        .target(name: "Detector", dependencies: ["Pipeline", "MaskRCNN", "ModelZoo"], path: "Plugins/Detector", swiftSettings: strict),
        .target(name: "Tracker", dependencies: ["Pipeline"], path: "Plugins/Tracker", swiftSettings: strict),

        // Library modules the tool is a thin shell over.
        .target(name: "Results", dependencies: ["Pipeline", "JSONText"], swiftSettings: strict),
        .target(name: "ModelZoo", dependencies: ["Checkpoint", "MaskRCNN", "HostAddress", .product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: strict),
        .target(name: "PluginHost", dependencies: ["Pipeline"], swiftSettings: strict),
        // Results to a message broker (MQTT, on Eclipse Mosquitto's client library).
        .target(name: "Publish", dependencies: ["CMosquitto"], swiftSettings: strict),
        // The run's metrics (swift-metrics into a swift-prometheus registry) for /metrics.
        .target(name: "Telemetry", dependencies: [
            .product(name: "CoreMetrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ], swiftSettings: strict),
        .target(name: "Job", dependencies: ["VideoIO", "Pipeline", "Preview", "Results", "PluginHost",
                                            "Detector", "Tracker", "Renderer", "Publish", "Telemetry"], swiftSettings: strict),

        .executableTarget(name: "mrcnn", dependencies: [
            "Job", "Results", "ModelZoo", "VideoIO", "Pipeline", "Detector", "MaskRCNN", "Tensor", "Preview", "Publish",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: strict, plugins: ["CommitStamp"]),
        // Generates the tool's BuildStamp.swift (the commit `mrcnn --version` reports) at build time.
        .plugin(name: "CommitStamp", capability: .buildTool(), path: "BuildPlugins/CommitStamp"),

        // Real peers the tests start on loopback (Mosquitto, nginx-rtmp, headless Chromium), their ports, and a child
        // process with a clean signal mask.
        .target(name: "TestPeers", path: "Tests/TestPeers", swiftSettings: strict),
        .testTarget(name: "TensorTests", dependencies: ["Tensor"], resources: [.copy("Fixtures")], swiftSettings: strict),
        .testTarget(name: "CheckpointTests", dependencies: ["Checkpoint"], resources: [.copy("Fixtures")], swiftSettings: strict),
        .testTarget(name: "MaskRCNNTests", dependencies: ["MaskRCNN", "Checkpoint", "Tensor", "VideoIO"], resources: [.copy("Fixtures")], swiftSettings: strict),
        .testTarget(name: "VideoIOTests", dependencies: ["VideoIO", "TestPeers"], swiftSettings: strict),
        .testTarget(name: "PreviewTests", dependencies: ["Preview", "Pipeline", "HostAddress"], swiftSettings: strict),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline"], resources: [.copy("Fixtures")], swiftSettings: strict),
        .testTarget(name: "DetectorTests", dependencies: ["Detector", "Pipeline", "Tensor"], swiftSettings: strict),
        .testTarget(name: "RendererTests", dependencies: ["Renderer", "Pipeline"], swiftSettings: strict),
        .testTarget(name: "TrackerTests", dependencies: ["Tracker", "Pipeline"], swiftSettings: strict),
        .testTarget(name: "ResultsTests", dependencies: ["Results", "Pipeline"], swiftSettings: strict),
        .testTarget(name: "ModelZooTests", dependencies: ["ModelZoo", "MaskRCNN", "Checkpoint", "Tensor"], swiftSettings: strict),
        .testTarget(name: "PublishTests", dependencies: ["Publish", "TestPeers"], swiftSettings: strict),
        .testTarget(name: "TelemetryTests", dependencies: ["Telemetry"], swiftSettings: strict),
        .testTarget(name: "PluginHostTests", dependencies: ["PluginHost", "Pipeline"], swiftSettings: strict),
        .testTarget(name: "JobTests", dependencies: ["Job", "Results", "Pipeline", "VideoIO", "Publish"], swiftSettings: strict),
        .testTarget(name: "ArchitectureTests", swiftSettings: strict),
        .testTarget(name: "CLITests", dependencies: ["mrcnn", "Checkpoint", "VideoIO", "TestPeers"], swiftSettings: strict),
    ]
)
