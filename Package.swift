// swift-tools-version:6.0
import PackageDescription

// No package dependencies and no unsafe flags: the package can be embedded as a dependency.
// CPU-specific code generation is chosen on the command line, e.g.
//   swift build -c release -Xswiftc -target-cpu -Xswiftc native
// (see README, "CPU features").
let package = Package(
    name: "fastmlp",
    products: [
        .library(name: "FastMLP", targets: ["FastMLP"]),
        .executable(name: "fastmlp", targets: ["fastmlp"]),
    ],
    targets: [
        .systemLibrary(
            name: "CZlib",
            path: "Sources/CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .target(name: "CPUFeatures", path: "Sources/CPUFeatures"),
        .target(
            name: "FastMLP",
            dependencies: ["CZlib", "CPUFeatures"],
            path: "Sources/FastMLP"
        ),
        .executableTarget(
            name: "fastmlp",
            dependencies: ["FastMLP"],
            path: "Sources/fastmlp"
        ),
        .executableTarget(
            name: "fastmlp-benchmarks",
            dependencies: ["FastMLP"],
            path: "Benchmarks",
            exclude: ["Tools", "tables"]
        ),
        .testTarget(
            name: "FastMLPTests",
            dependencies: ["FastMLP", "fastmlp"],
            path: "Tests/FastMLPTests",
            exclude: ["FuzzFindings"]
        ),
    ]
)
