// swift-tools-version:5.9
// The sample's media glue that needs no Apple framework (picture and sound formats, mixing,
// which remote sources exist), so that `swift test` runs it on Linux too. The app feeds it
// from AVFoundation and hands its results to the SDK.
import PackageDescription

let package = Package(
    name: "SampleMedia",
    platforms: [.iOS(.v15), .macOS(.v12)],
    products: [
        .library(name: "SampleMedia", targets: ["SampleMedia"]),
    ],
    targets: [
        .target(name: "SampleMedia"),
        .testTarget(name: "SampleMediaTests", dependencies: ["SampleMedia"]),
    ]
)
