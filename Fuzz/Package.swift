// swift-tools-version:6.0
// libFuzzer targets for the readers of untrusted files and for the figure kit. Built and run by scripts/fuzz.sh
// with -sanitize=fuzzer,address; not part of the main build.
import PackageDescription

let package = Package(
    name: "lenet5-fuzz",
    dependencies: [.package(name: "lenet5-lessons", path: "..")],
    targets: [
        .target(name: "FuzzSupport"),
        .executableTarget(
            name: "FuzzIDX", dependencies: ["FuzzSupport", .product(name: "LeNetReaders", package: "lenet5-lessons")]),
        .executableTarget(
            name: "FuzzSafetensors",
            dependencies: ["FuzzSupport", .product(name: "LeNetReaders", package: "lenet5-lessons")]),
        .executableTarget(
            name: "FuzzFigures",
            dependencies: ["FuzzSupport", .product(name: "LeNetFigureKit", package: "lenet5-lessons")]),
    ]
)
