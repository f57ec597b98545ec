// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "portdash",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "portdash", targets: ["portdash"]),
        .library(name: "PortKit", targets: ["PortKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
    ],
    targets: [
        // ncurses, wrapped so that macros and mutable C globals become functions.
        .systemLibrary(
            name: "CNcurses",
            path: "Shims/CNcurses",
            providers: [.apt(["libncurses-dev"])]
        ),
        // Linux-only kernel interfaces: sock_diag (netlink) and the pidfd syscalls.
        .systemLibrary(name: "CLinux", path: "Shims/CLinux"),

        // The core: /proc parsing, socket owners, bind probe, leases. No curses, no CLI.
        .target(name: "PortKit", dependencies: ["CLinux"]),
        // The dashboard: plain state + key handling + rendering; one file imports CNcurses.
        .target(name: "PortDashUI", dependencies: ["PortKit", "CNcurses", "CLinux"]),
        // Projects: portdash.toml, Procfile, the user's config, and running a
        // project's services (`up`, `env`, `wait`). The only importer of TOMLKit.
        .target(name: "PortProject", dependencies: ["PortKit", "CLinux", .product(name: "TOMLKit", package: "TOMLKit")]),
        .executableTarget(
            name: "portdash",
            dependencies: [
                "PortKit", "PortDashUI", "PortProject",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            // A release build links the Swift runtime statically: start-up is
            // most of a `status` call (about 5 ms instead of 8 ms measured), and
            // the binary runs without the toolchain's libraries. ncursesw stays
            // a dynamic system library. Debug builds and `swift test` are as before.
            // TOMLKit (PortProject) imports Foundation's Data, so the static
            // Foundation comes with CoreFoundation and ICU behind it.
            linkerSettings: [.unsafeFlags(["-static-stdlib", "-Xlinker", "-l_FoundationCShims", "-Xlinker", "-l_FoundationCollections",
                                           "-Xlinker", "-lswiftSynchronization",
                                           "-Xlinker", "-lCoreFoundation", "-Xlinker", "-lFoundationInternationalization",
                                           "-Xlinker", "-l_FoundationICU"],
                                          .when(platforms: [.linux], configuration: .release))]
        ),

        .target(name: "PortKitTestSupport", dependencies: ["PortKit", "CLinux"], path: "Tests/PortKitTestSupport"),
        .testTarget(
            name: "PortKitTests",
            dependencies: ["PortKit", "PortKitTestSupport"],
            exclude: ["Fixtures"]
        ),
        .testTarget(name: "PortDashUITests", dependencies: ["PortDashUI", "PortKitTestSupport"],
                    exclude: ["Golden"]),
        .testTarget(name: "PortProjectTests", dependencies: ["PortProject", "PortKitTestSupport"]),
        .testTarget(
            name: "PortDashEndToEndTests",
            dependencies: ["PortKit", "PortKitTestSupport"]
        ),
    ]
)
