// swift-tools-version: 6.2
import PackageDescription

/// An external mrcnn stage, built on its own against the plugin API and loaded at run time:
///   swift build -c release --package-path Plugins/External/PersonBlur
///   mrcnn run IN.mp4 -o OUT.mp4 --plugin Plugins/External/PersonBlur/.build/release/libPersonBlur.so \
///       --stages detector,mask,blur,render
/// A plugin of your own depends on mrcnn by version instead of by path:
///   .package(url: "https://…/mrcnn.git", from: "0.5.0")
let package = Package(
    name: "PersonBlur",
    products: [
        .library(name: "PersonBlur", type: .dynamic, targets: ["PersonBlur"]),
    ],
    dependencies: [
        .package(name: "mrcnn", path: "../../.."),
    ],
    targets: [
        .target(name: "PersonBlur", dependencies: [.product(name: "MRCNNPluginAPI", package: "mrcnn")],
                swiftSettings: [.treatAllWarnings(as: .error)]),
    ]
)
