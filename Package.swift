// swift-tools-version:6.0
import PackageDescription

// Module graph (DESIGN.md): imports point one way.
//   nettriage -> TriageTUI -> Triage -> NetProbe -> CNetProbe
//   TriageTUI -> CNcurses;  nettriage -> Lab -> NetProbe
let package = Package(
  name: "nettriage",
  platforms: [.macOS(.v13)],
  products: [
    .executable(name: "nettriage", targets: ["nettriage"]),
    .library(name: "NetProbe", targets: ["NetProbe"]),
    .library(name: "Triage", targets: ["Triage"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
  ],
  targets: [
    .systemLibrary(
      name: "CNetProbe",
      path: "Sources/CNetProbe"
    ),
    .systemLibrary(
      name: "CNcurses",
      path: "Sources/CNcurses",
      pkgConfig: "ncursesw",
      providers: [.apt(["libncurses-dev"])]
    ),
    // zlib, for the gzip of the data-collection bundle.
    .systemLibrary(
      name: "CZlib",
      path: "Sources/CZlib",
      pkgConfig: "zlib",
      providers: [.apt(["zlib1g-dev"])]
    ),
    .target(
      name: "NetProbe",
      dependencies: ["CNetProbe"]
    ),
    // The fault lab: namespaces, links, rules and services for real failure scenarios (root only).
    .target(
      name: "Lab",
      dependencies: ["NetProbe", "CNetProbe"]
    ),
    // Resources/ (top level, linked into the target) is embedded in the binary: a lone copied binary works.
    .target(
      name: "Triage",
      dependencies: ["NetProbe", "CZlib"],
      resources: [
        .embedInCode("Resources/knowledge-base.json"),
        .embedInCode("Resources/error-catalogue.json"),
        .embedInCode("Resources/report.schema.json"),
      ]
    ),
    .target(
      name: "TriageTUI",
      dependencies: ["Triage", "CNcurses"]
    ),
    .executableTarget(
      name: "nettriage",
      dependencies: [
        "NetProbe", "Triage", "TriageTUI", "Lab",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    // Benchmarks are executables, not timed tests: `swift run -c release tcp-probe-rate`.
    .executableTarget(
      name: "tcp-probe-rate",
      dependencies: ["NetProbe"],
      path: "Benchmarks/TCPProbeRate"
    ),
    // Time to verdict per lab scenario against nc, ping and nping; RTT accuracy under delay (root).
    .executableTarget(
      name: "lab-verdict-bench",
      dependencies: ["Lab", "NetProbe", "Triage"],
      path: "Benchmarks/LabVerdict"
    ),
    // The screen's speed through tmux and in process: `swift run -c release tui-frame-bench`.
    .executableTarget(
      name: "tui-frame-bench",
      dependencies: ["NetProbe", "Triage", "TriageTUI"],
      path: "Benchmarks/TUIFrames"
    ),
    // libFuzzer target for the packet decoder. A normal build gets a stub that prints how to build the real one:
    // `swift build -c release --scratch-path .build-fuzz --product decoder-fuzz --sanitize fuzzer -Xswiftc -DDECODER_FUZZ`.
    .executableTarget(
      name: "decoder-fuzz",
      dependencies: ["NetProbe"],
      path: "Fuzz/DecoderFuzz",
      exclude: ["seeds"]
    ),
    // Loopback servers the tests open; used by tests only.
    .target(name: "TestSupport", dependencies: ["NetProbe", "CNetProbe"], path: "Tests/TestSupport"),
    .testTarget(name: "NetProbeTests", dependencies: ["NetProbe", "TestSupport"]),
    .testTarget(name: "TriageTests", dependencies: ["Triage", "TestSupport"]),
    // Lab scenarios (root + namespaces); run alone with `swift test --filter LabTests`.
    .testTarget(name: "LabTests", dependencies: ["Lab", "NetProbe", "TestSupport"]),
    .testTarget(name: "TriageTUITests", dependencies: ["TriageTUI", "TestSupport"]),
    .testTarget(name: "nettriageTests", dependencies: ["nettriage", "TestSupport"]),
  ]
)
