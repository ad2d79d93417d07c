// swift-tools-version: 6.1
import PackageDescription

/// An external mrcnn stage, built on its own against the plugin API and loaded at run time:
///   swift build -c release --package-path Plugins/External/PersonBlur
///   mrcnn run IN.mp4 -o OUT.mp4 --plugin Plugins/External/PersonBlur/.build/release/libPersonBlur.so \
///       --stages detector,mask,blur,render
let package = Package(
    name: "PersonBlur",
    products: [
        .library(name: "PersonBlur", type: .dynamic, targets: ["PersonBlur"]),
    ],
    dependencies: [
        .package(path: "../../../PluginAPI"),
    ],
    targets: [
        .target(name: "PersonBlur", dependencies: [.product(name: "MRCNNPluginAPI", package: "PluginAPI")],
                swiftSettings: [.unsafeFlags(["-warnings-as-errors"])]),
    ]
)
