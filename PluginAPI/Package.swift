// swift-tools-version: 6.1
import PackageDescription

/// The plugin API of mrcnn: the `Stage` protocol, the frame record and instance types, the stage registry.
/// It is its own package and a *dynamic* library so that the mrcnn host and every runtime-loaded plugin share
/// one copy of these types (two static copies would make protocol casts across the boundary fail).
let package = Package(
    name: "MRCNNPluginAPI",
    products: [
        .library(name: "MRCNNPluginAPI", type: .dynamic, targets: ["MRCNNPluginAPI"]),
    ],
    targets: [
        .target(name: "MRCNNPluginAPI", swiftSettings: [.unsafeFlags(["-warnings-as-errors"])]),
    ]
)
