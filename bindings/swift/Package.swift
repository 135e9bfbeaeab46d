// swift-tools-version:5.9
// This manifest is not built in place: the UniFFI-generated sources are produced at build time
// and copied next to it into target/ (`cargo xtask test` on Linux, `cargo xtask ios` for Apple
// platforms). See README, "Swift quick start".
import PackageDescription

#if os(Linux)
// On Linux the FFI module is the generated header over the host cdylib, found in target/debug
// (two levels up from the assembled package in target/swift/package) unless overridden.
let libDir = Context.environment["OMNI_JITSI_LIB_DIR"] ?? "\(Context.packageDirectory)/../../debug"
let ffiTarget = Target.systemLibrary(name: "OmniJitsiMeetFFI", path: "Sources/OmniJitsiMeetFFI")
let linkerSettings: [LinkerSetting] = [
    .linkedLibrary("omni_jitsi_meet"),
    .unsafeFlags(["-L", libDir, "-Xlinker", "-rpath", "-Xlinker", libDir]),
]
#else
// Apple platforms link the static libraries of the XCFramework `cargo xtask ios` builds.
let ffiTarget = Target.binaryTarget(name: "OmniJitsiMeetFFI", path: "OmniJitsiMeet.xcframework")
let linkerSettings: [LinkerSetting] = []
#endif

let package = Package(
    name: "OmniJitsiMeet",
    platforms: [.iOS(.v15), .macOS(.v12)],
    products: [
        .library(name: "OmniJitsiMeet", targets: ["OmniJitsiMeet"]),
    ],
    targets: [
        ffiTarget,
        .target(
            name: "OmniJitsiMeet",
            dependencies: ["OmniJitsiMeetFFI"],
            linkerSettings: linkerSettings
        ),
        .testTarget(name: "OmniJitsiMeetTests", dependencies: ["OmniJitsiMeet"]),
    ]
)
