// swift-tools-version:6.0
// lenet5-lessons: LeNet-5 (LeCun et al. 1998) taught one layer at a time.
// Data flows one way; each target imports only those before it:
//   LeNetCore ← LeNetData ← LeNetModel ← LeNetTraining ← LeNetReports ─┐
//   LeNetKernels ← LeNetKernelsAVX512 ← LeNetModel (the products, built twice)
//   LeNetCore ← LeNetFigures (Cairo) ──────────────────────────────────┼─ LeNetLessons ← lesson
//   LeNetModel ← LeNetExport (swift-protobuf: ONNX) ───────────────────────────────────┘
import PackageDescription

/// Release builds may use AVX2 and FMA (any x86-64 CPU since 2013): the fast path's loops
/// vectorize 8 floats wide instead of 4.
let vectorize: [SwiftSetting] = [
    .unsafeFlags(["-target-cpu", "haswell"], .when(platforms: [.linux], configuration: .release))
]

/// The products once more for AVX-512 (LeNetKernelsAVX512), which the fast path runs only
/// where the CPU says it has it; everything else keeps to Haswell's instructions.
let avx512: [SwiftSetting] = [
    .unsafeFlags(["-target-cpu", "skylake-avx512"], .when(platforms: [.linux], configuration: .release))
]

let package = Package(
    name: "lenet5-lessons",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "lesson", targets: ["lesson"]),
        // The readers of untrusted files, for the fuzz targets in Fuzz/.
        .library(name: "LeNetReaders", targets: ["LeNetData", "LeNetModel", "LeNetTraining"]),
        // The figure kit, for the fuzz target that draws arbitrary numbers.
        .library(name: "LeNetFigureKit", targets: ["LeNetFigures"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/JohnSundell/Ink", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        .systemLibrary(
            name: "CZlib", pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(
            name: "CCairo", pkgConfig: "cairo",
            providers: [.apt(["libcairo2-dev"])]),
        .systemLibrary(name: "CMalloc"),
        // cpuid and xgetbv: whether the AVX-512 products may run; the cores the process may use.
        .systemLibrary(name: "CCPUID"),
        // The CPU's prefetch hint: online training asks for the next digit while it trains on this one.
        .systemLibrary(name: "CPrefetch"),
        .target(name: "LeNetCore", dependencies: ["CCPUID", "CPrefetch"]),
        .target(
            name: "LeNetData",
            dependencies: ["LeNetCore", "CZlib", .product(name: "Crypto", package: "swift-crypto")],
            resources: [
                .copy("Resources/mnist5k-images-idx3-ubyte.gz"),
                .copy("Resources/mnist5k-labels-idx1-ubyte.gz"),
                .copy("Resources/PROVENANCE.md"),
            ]),
        // The matrix product, generic over the vector width; built for AVX2 in LeNetModel and
        // for AVX-512 in LeNetKernelsAVX512.
        .target(name: "LeNetKernels", swiftSettings: vectorize),
        .target(name: "LeNetKernelsAVX512", dependencies: ["LeNetKernels"], swiftSettings: avx512),
        .target(
            name: "LeNetModel",
            dependencies: ["LeNetCore", "LeNetData", "LeNetKernels", "LeNetKernelsAVX512", "CCPUID"],
            swiftSettings: vectorize),
        .target(
            name: "LeNetTraining", dependencies: ["LeNetCore", "LeNetData", "LeNetModel"],
            resources: [.copy("Resources")], swiftSettings: vectorize),
        .target(name: "LeNetFigures", dependencies: ["CCairo", "LeNetCore"]),
        // ONNX export: message types generated from ONNX's onnx.proto (scripts/generate-onnx-proto.sh).
        .target(
            name: "LeNetExport",
            dependencies: [
                "LeNetCore", "LeNetData", "LeNetModel", .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]),
        // Text reports (tables, number formats, the terminal, training logs) for the lessons
        // and for the commands that are not lessons (verify, eval, bench …).
        .target(name: "LeNetReports", dependencies: ["LeNetCore", "LeNetModel", "LeNetTraining"]),
        .target(
            name: "LeNetLessons",
            dependencies: [
                "LeNetData", "LeNetModel", "LeNetTraining", "LeNetFigures", "LeNetReports",
                .product(name: "Ink", package: "Ink"),
            ],
            // The explorer page's script and style, copied beside the page it writes.
            resources: [.copy("Resources/explorer.js"), .copy("Resources/explorer.css")]),
        .executableTarget(
            name: "lesson",
            dependencies: [
                "CMalloc", "LeNetCore", "LeNetData", "LeNetModel", "LeNetTraining", "LeNetFigures", "LeNetReports",
                "LeNetLessons", "LeNetExport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .testTarget(name: "LeNetDataTests", dependencies: ["LeNetData", "LeNetCore"]),
        .testTarget(
            name: "LeNetModelTests", dependencies: ["LeNetModel", "LeNetData", "LeNetKernels", "LeNetKernelsAVX512"]),
        .testTarget(name: "LeNetFiguresTests", dependencies: ["LeNetFigures"]),
        .testTarget(name: "LeNetExportTests", dependencies: ["LeNetExport", "LeNetModel", "LeNetData", "LeNetCore"]),
        // Fixtures/ holds files the tests read from the repository (PyTorch-trained weights).
        .testTarget(name: "LessonCLITests", dependencies: ["lesson", "LeNetCore"], exclude: ["Fixtures"]),
        .testTarget(
            name: "LeNetLessonsTests",
            dependencies: ["LeNetLessons", "LeNetReports", "LeNetTraining", "LeNetModel", "LeNetData", "LeNetFigures"]),
        .testTarget(name: "LeNetTrainingTests", dependencies: ["LeNetTraining", "LeNetModel", "LeNetData"]),
        // Property-based tests of the readers and the figure kit (Swift Testing).
        .testTarget(
            name: "PropertyTests",
            dependencies: [
                "LeNetCore", "LeNetData", "LeNetFigures", "LeNetModel", "LeNetTraining",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]),
    ]
)
