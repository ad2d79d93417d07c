// swift-tools-version: 6.1
import PackageDescription

/// mrcnn used as a library: detector → mask → tracker over a video, results as JSON Lines, no command line.
///   swift run -c release --package-path Examples/TrackToJSON track-to-json IN.mp4 OUT.jsonl [WEIGHTS]
let package = Package(
    name: "TrackToJSON",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "mrcnn", path: "../..")],
    targets: [
        .executableTarget(name: "track-to-json", dependencies: [.product(name: "Job", package: "mrcnn")],
                          path: "Sources/TrackToJSON"),
    ]
)
