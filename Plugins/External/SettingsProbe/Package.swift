// swift-tools-version: 6.2
import PackageDescription

/// The smallest external stage that takes part in `mrcnn run --target-fps`, built against the plugin API alone:
///   swift build -c release --package-path Plugins/External/SettingsProbe
///   mrcnn run IN.mp4 -o OUT.mp4 --plugin Plugins/External/SettingsProbe/.build/release/libSettingsProbe.so \
///       --stages probe --target-fps 30 --json OUT.jsonl
let package = Package(
    name: "SettingsProbe",
    products: [
        .library(name: "SettingsProbe", type: .dynamic, targets: ["SettingsProbe"]),
    ],
    dependencies: [
        .package(name: "mrcnn", path: "../../.."),
    ],
    targets: [
        .target(name: "SettingsProbe", dependencies: [.product(name: "MRCNNPluginAPI", package: "mrcnn")],
                swiftSettings: [.treatAllWarnings(as: .error)]),
    ]
)
