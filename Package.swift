// swift-tools-version:6.0
// Memento: a runtime for learning reinforcement learning with sequence models.
// Layers (each target depends only on those above it): see DESIGN.md and README.md.
import PackageDescription

let package = Package(
    name: "Memento",
    products: [
        .library(name: "MementoEngine", targets: ["Configuration", "TensorCore", "NeuralNets", "Environments", "Algorithms"]),
        .library(name: "MementoLanguage", targets: ["Language"]),
        .executable(name: "memento", targets: ["memento"]),
        .executable(name: "memento-bench", targets: ["memento-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/JohnSundell/Ink", from: "0.6.0"),
        // HMAC-SHA256 signing of the Jupyter kernel's messages.
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        // OpenBLAS, loaded at first use so that its kernel can be chosen for this CPU
        // (see Sources/CBLAS/include/CBLAS.h), and the FMA peak kernel for benchmarks.
        .target(name: "CBLAS", linkerSettings: [.linkedLibrary("dl"), .linkedLibrary("pthread")]),
        // Declared configuration fields (name, key path, doc, kind, bounds) with their defaults
        // read from the type's own initialiser; no dependencies, so every engine target and
        // every front end (the language, files, command lines) can share one description.
        .target(name: "Configuration"),
        .target(name: "TensorCore", dependencies: ["CBLAS"]),
        .target(name: "NeuralNets", dependencies: ["TensorCore", "CBLAS"]),
        .target(name: "Environments", dependencies: ["TensorCore", "Configuration"]),
        .target(name: "Algorithms", dependencies: ["TensorCore", "NeuralNets", "Environments", "Configuration"]),
        .target(name: "Language"),
        // Terminal and SVG plots, progress bars: plain rendering, no engine or language.
        .target(name: "Display"),
        .target(name: "Runtime", dependencies: ["Language", "Configuration", "TensorCore", "NeuralNets", "Environments", "Algorithms", "Display"]),
        // Cells, the stepper, Markdown for the terminal, .ipynb and HTML export.
        .target(name: "Notebook", dependencies: ["Runtime", "Language", "Display", .product(name: "Ink", package: "Ink")]),
        // Solution stripping, the sandboxed grading run, report formats.
        .target(name: "Grading", dependencies: ["Runtime", "Language", "TensorCore", "CBLAS", "Display"]),
        // GNU readline (libreadline-dev), through a shim header; see Sources/CReadline.
        .systemLibrary(name: "CReadline", path: "Sources/CReadline"),
        // ZeroMQ (libzmq3-dev) for the Jupyter kernel, through a shim header; see Sources/CZMQ.
        .systemLibrary(name: "CZMQ", path: "Sources/CZMQ"),
        .executableTarget(
            name: "memento",
            dependencies: ["Runtime", "Language", "Notebook", "Grading", "Display", "CReadline", "CZMQ",
                           .product(name: "ArgumentParser", package: "swift-argument-parser"),
                           .product(name: "Crypto", package: "swift-crypto")]),
        .executableTarget(
            name: "memento-bench",
            dependencies: [
                "TensorCore", "NeuralNets", "Environments", "Algorithms", "CBLAS", "Language", "Runtime",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore", "CBLAS"]),
        .testTarget(name: "NeuralNetsTests", dependencies: ["NeuralNets", "TensorCore"]),
        .testTarget(name: "EnvironmentsTests", dependencies: ["Environments", "TensorCore"]),
        .testTarget(name: "AlgorithmsTests", dependencies: ["Algorithms", "NeuralNets", "Environments", "TensorCore"]),
        .testTarget(name: "RuntimeTests", dependencies: ["Runtime", "Language", "TensorCore", "Display", "Configuration", "Algorithms", "Environments", "NeuralNets"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ConfigurationTests", dependencies: ["Configuration"]),
        .testTarget(name: "LanguageTests", dependencies: ["Language"], resources: [.copy("Fixtures")]),
        .testTarget(name: "DisplayTests", dependencies: ["Display"]),
        .testTarget(name: "NotebookTests", dependencies: ["Notebook", "Runtime", "Language", "Display"]),
        .testTarget(name: "GradingTests", dependencies: ["Grading", "Runtime", "Language"], exclude: ["Corpus"]),
        // Drives the built `memento` executable: the REPL through a pseudo-terminal, subcommands.
        .testTarget(name: "ToolTests", dependencies: [], exclude: ["Jupyter"]),
    ]
)
