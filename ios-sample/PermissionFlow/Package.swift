// swift-tools-version:5.9
// The sample's permission-then-join flow, with no Apple-only imports so that `swift test` runs it
// on Linux too. The app supplies the AVFoundation/Photos calls through `PermissionPlatform`.
import PackageDescription

let package = Package(
    name: "PermissionFlow",
    platforms: [.iOS(.v15), .macOS(.v12)],
    products: [
        .library(name: "PermissionFlow", targets: ["PermissionFlow"]),
    ],
    targets: [
        .target(name: "PermissionFlow"),
        .testTarget(name: "PermissionFlowTests", dependencies: ["PermissionFlow"]),
    ]
)
