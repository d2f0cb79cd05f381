// swift-tools-version:6.0
import PackageDescription

// An application that embeds fastmlp as a package dependency, by path. Built and run by the
// test suite (ExamplesTests), so the public API it uses stays usable.
let package = Package(
    name: "fastmlp-examples",
    dependencies: [.package(name: "fastmlp", path: "..")],
    targets: [
        .executableTarget(
            name: "train-small",
            dependencies: [.product(name: "FastMLP", package: "fastmlp")],
            path: "Sources/TrainSmall"
        ),
        // The README's library example, verbatim (ExamplesTests checks that the two agree).
        .executableTarget(
            name: "readme-example",
            dependencies: [.product(name: "FastMLP", package: "fastmlp")],
            path: "Sources/ReadmeExample"
        ),
    ]
)
