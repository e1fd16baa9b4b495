// swift-tools-version:6.0
import PackageDescription

// Discern: the Swift core. See README.md and ../shared/ROADMAP.md for the module map.
//
// The torch backend `CTorch` is a C++ shim over libtorch built as its own shared library
// (libCTorch.so). Nothing links it: `Tensor` opens it at run time through the plain C ABI
// declared in `CTorchABI`, so the `discern` executable never depends on libtorch and a CUDA
// build of the backend (Scripts/build-torch-backend.sh) can be dropped in.

let package = Package(
    name: "Discern",
    products: [
        .executable(name: "discern", targets: ["DiscernCLI"]),
        // The Lua C module (`luaopen_discern`); Scripts link it as `discern.so` for stock lua5.4.
        .library(name: "DiscernLuaModule", type: .dynamic, targets: ["DiscernLua"]),
        .library(name: "CTorch", type: .dynamic, targets: ["CTorch"]),
        .executable(name: "discern-bench", targets: ["DiscernBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        // SHA-256 for the store's content keys and for model/data fingerprints (BoringSSL underneath).
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        // YAML for transcoder config.yaml files (libyaml underneath); Discern validates the parsed tree strictly.
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        // C ABI of the torch backend (header + the dlopen loader). No libtorch here.
        .target(name: "CTorchABI", linkerSettings: [.linkedLibrary("dl")]),
        // The backend itself: C++ over ATen. Built as libCTorch.so, loaded at run time.
        .target(
            name: "CTorch",
            dependencies: ["CTorchABI"],
            // -O2 in every configuration: the backend's own loops (the fused AdamW step) run at
            // full speed in debug builds too; it is a thin shim, so this costs little build time.
            cxxSettings: [.unsafeFlags(["-fvisibility=hidden", "-O2", "-fno-math-errno"])],
            linkerSettings: [
                .linkedLibrary("torch"), .linkedLibrary("torch_cpu"), .linkedLibrary("c10"),
                .linkedLibrary("openblas"),
            ]
        ),
        .systemLibrary(name: "CLua", pkgConfig: "lua5.4", providers: [.apt(["liblua5.4-dev"])]),
        .target(name: "CReplBridge", dependencies: ["CReadline"]),
        .systemLibrary(name: "CReadline", pkgConfig: "readline", providers: [.apt(["libreadline-dev"])]),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),

        .target(name: "Tensor", dependencies: ["CTorchABI"]),
        .target(name: "Store", dependencies: [.product(name: "GRDB", package: "GRDB.swift"), .product(name: "Crypto", package: "swift-crypto")]),
        // Strict, order-preserving JSON for untrusted files (tokenizer.json, config.json, safetensors headers).
        .target(name: "JSON"),
        .target(name: "Tokenizers", dependencies: ["JSON"]),
        .target(name: "Models", dependencies: ["Tensor", "Tokenizers", "JSON", "Store", .product(name: "Crypto", package: "swift-crypto")]),
        // Transcoders and circuit tracing (issue 6): formats, replacement model, attribution. No Lua.
        .target(name: "Circuits", dependencies: ["Tensor", "Models", "JSON", "CZlib", "Store", .product(name: "Yams", package: "Yams")]),
        // Statistics and bandits: pure Swift (distributions, tests, online FDR, bandits).
        .target(name: "Stats"),
        // The behavioural core (issue 14): sampler + ledger, clustering, labels, classifier tests. No Lua.
        // Optimised in every configuration: its loops (k-means, logistic regression, n-gram counts) run inside the
        // pipelines and the test suite, where a debug build would be ~20× slower.
        .target(name: "Behavior", dependencies: ["Stats", "Store", "Models", "Tensor", "JSON"],
                swiftSettings: [.unsafeFlags(["-O"])]),
        .target(name: "CLuaBridge", dependencies: ["CLua"]),
        .target(name: "LuaKit", dependencies: ["CLua", "CLuaBridge"]),
        .executableTarget(name: "EmbedStdlib"),
        .plugin(name: "EmbedStdlibPlugin", capability: .buildTool(), dependencies: ["EmbedStdlib"],
                path: "Sources/EmbedStdlibPlugin"),
        .target(name: "DiscernLua", dependencies: ["LuaKit", "Tensor", "Store", "Models", "Tokenizers", "Stats", "JSON", "Circuits", "Behavior", "CLua"],
                plugins: ["EmbedStdlibPlugin"]),
        .executableTarget(
            name: "DiscernCLI",
            dependencies: [
                "DiscernLua", "LuaKit", "Tensor", "Store", "CReplBridge", "CLua",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "DiscernBench", dependencies: ["Tensor", "LuaKit", "DiscernLua", "Models", "Stats", "Circuits", "Behavior", "COpenBLAS"]),

        .target(name: "TestSupport", dependencies: ["Tensor"], path: "Tests/Support"),
        .testTarget(name: "TensorTests", dependencies: ["Tensor", "TestSupport"]),
        .testTarget(name: "LuaKitTests", dependencies: ["LuaKit", "CLua", "TestSupport"]),
        .testTarget(name: "DiscernLuaTests", dependencies: ["DiscernLua", "LuaKit", "CLua", "TestSupport"]),
        .testTarget(name: "StoreTests", dependencies: ["Store", "TestSupport", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "CLITests", dependencies: ["TestSupport"]),
        .testTarget(name: "TokenizersTests", dependencies: ["Tokenizers", "TestSupport"]),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "Tensor", "Tokenizers", "Store", "TestSupport"]),
        .testTarget(name: "CircuitsTests", dependencies: ["Circuits", "Models", "Tensor", "Store", "TestSupport"]),
        .testTarget(name: "StatsTests", dependencies: ["Stats", "TestSupport"]),
        .testTarget(name: "BehaviorTests", dependencies: ["Behavior", "Stats", "Store", "Models", "Tensor", "TestSupport"]),

        // Fuzzing (issue 13): the parsers fed raw bytes, shared by the libFuzzer harness and the
        // corpus replay in FuzzTests. The harness itself exists only under DISCERN_FUZZ=1 (Scripts/fuzz).
        .target(name: "FuzzTargets", dependencies: ["JSON", "Tokenizers", "Models", "Circuits"], path: "Fuzz/Targets"),
        .testTarget(name: "FuzzTests", dependencies: ["FuzzTargets", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6],
    cxxLanguageStandard: .cxx17
)

// With DISCERN_FUZZ=1 (Scripts/fuzz, in its own scratch path) the package gains the libFuzzer
// harness, and the parser modules are built with libFuzzer's coverage and AddressSanitizer.
if Context.environment["DISCERN_FUZZ"] == "1" {
    let sanitize = ["-sanitize=fuzzer,address"]
    for target in package.targets where ["JSON", "Tokenizers", "Models", "Circuits", "FuzzTargets"].contains(target.name) {
        target.swiftSettings = (target.swiftSettings ?? []) + [.unsafeFlags(sanitize)]
    }
    package.targets.append(.executableTarget(
        name: "DiscernFuzz", dependencies: ["FuzzTargets"], path: "Fuzz/Main",
        swiftSettings: [.unsafeFlags(sanitize)], linkerSettings: [.unsafeFlags(sanitize)]
    ))
}
