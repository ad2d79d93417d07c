// swift-tools-version: 6.2
import PackageDescription

/// mrcnn used as a library: detector → mask → tracker over a video, results as JSON Lines, no command line.
///   swift run -c release --package-path Examples/TrackToJSON track-to-json IN.mp4 OUT.jsonl [WEIGHTS]
/// Here mrcnn is the checkout this example lives in; a package of yours depends on it by version:
///   .package(url: "https://…/mrcnn.git", from: "0.5.0")   (Tests/JobTests/ConsumerPackageTests builds this
/// example's source that way). Linux only, as mrcnn.
let package = Package(
    name: "TrackToJSON",
    dependencies: [.package(name: "mrcnn", path: "../..")],
    targets: [
        .executableTarget(name: "track-to-json", dependencies: [.product(name: "Job", package: "mrcnn")],
                          path: "Sources/TrackToJSON"),
    ]
)
