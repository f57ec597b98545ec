// swift-tools-version: 6.1
import PackageDescription

// A release build links the Swift runtime statically: start-up is most of a
// `status` call (about 5 ms instead of 8 ms measured), and the binary runs
// without the toolchain's libraries. ncursesw stays a dynamic system library.
// Debug builds and `swift test` are as before.
func staticRelease(extra: [String] = []) -> [LinkerSetting] {
    let libraries = ["-l_FoundationCShims", "-l_FoundationCollections", "-lswiftSynchronization"] + extra
    return [.unsafeFlags(["-static-stdlib"] + libraries.flatMap { ["-Xlinker", $0] },
                         .when(platforms: [.linux], configuration: .release))]
}

// FileDescriptor, Errno and FilePath: the system calls swift-system covers.
let systemPackage: Target.Dependency = .product(name: "SystemPackage", package: "swift-system")

let package = Package(
    name: "portdash",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "portdash", targets: ["portdash"]),
        .executable(name: "portdash-serve", targets: ["portdash-serve"]),
        .executable(name: "portdash-toml", targets: ["portdash-toml"]),
        .library(name: "PortKit", targets: ["PortKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // Only `portdash-serve` links it (PortServe: the HTTP server and the router).
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        // Only PortProject imports it (portdash.toml, the user's config).
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
    ],
    targets: [
        // ncurses, wrapped so that macros and mutable C globals become functions.
        .systemLibrary(
            name: "CNcurses",
            path: "Shims/CNcurses",
            providers: [.apt(["libncurses-dev"])]
        ),
        // Linux-only kernel interfaces: sock_diag (netlink), signalfd, the pidfd and getdents64 syscalls.
        .systemLibrary(name: "CLinux", path: "Shims/CLinux"),

        // The core: /proc parsing, socket owners, bind probe, leases. No curses, no CLI.
        .target(name: "PortKit", dependencies: ["CLinux", systemPackage]),
        // The dashboard: plain state + key handling + rendering; one file imports CNcurses.
        .target(name: "PortDashUI", dependencies: ["PortKit", "CNcurses", "CLinux", systemPackage]),
        // What both executables share: global options, the context, one-line messages.
        .target(name: "PortDashCLI", dependencies: [
            "PortKit", "PortProject", systemPackage, .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // Projects: portdash.toml, Procfile, the user's config, and running a
        // project's services (`up`, `env`, `wait`). Reads TOML through
        // TOMLParser, which an executable fills in.
        .target(name: "PortProject", dependencies: ["PortKit", "CLinux", systemPackage]),
        // TOMLKit behind TOMLParser: the only importer of TOMLKit (which
        // brings Foundation and ICU).
        .target(name: "PortProjectTOML", dependencies: ["PortProject", .product(name: "TOMLKit", package: "TOMLKit")]),
        // Every verb, for both `portdash` executables.
        .target(name: "PortDashCommands", dependencies: [
            "PortKit", "PortDashUI", "PortDashCLI", "PortProject", systemPackage,
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // The lean executable: no TOML reader, no Foundation in its start-up;
        // hands an invocation that must read TOML to portdash-toml.
        .executableTarget(name: "portdash", dependencies: ["PortDashCommands", "PortDashCLI"], linkerSettings: staticRelease()),
        // The same verbs with TOMLKit.
        .executableTarget(
            name: "portdash-toml",
            dependencies: ["PortDashCommands", "PortProjectTOML"],
            // TOMLKit imports Foundation's Data: the static Foundation comes
            // with CoreFoundation and ICU behind it.
            linkerSettings: staticRelease(extra: ["-lCoreFoundation", "-lFoundationInternationalization", "-l_FoundationICU"])
        ),
        // `portdash serve`: the read-only HTTP service, in a library of its own
        // so that the `portdash` binary never links the server.
        .target(name: "PortServe", dependencies: [
            "PortKit", "PortProject",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        .executableTarget(
            name: "portdash-serve",
            dependencies: [
                "PortServe", "PortDashCLI", "PortKit", "PortProjectTOML",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            // It reads the project's [pool] through TOMLKit, hence Foundation.
            linkerSettings: staticRelease(extra: ["-lCoreFoundation", "-lFoundationInternationalization", "-l_FoundationICU"])
        ),

        .target(name: "PortKitTestSupport", dependencies: ["PortKit", "CLinux", systemPackage], path: "Tests/PortKitTestSupport"),
        .testTarget(
            name: "PortKitTests",
            dependencies: ["PortKit", "PortKitTestSupport", systemPackage],
            exclude: ["Fixtures"]
        ),
        .testTarget(name: "PortDashUITests", dependencies: ["PortDashUI", "PortKitTestSupport"],
                    exclude: ["Golden"]),
        .testTarget(name: "PortServeTests", dependencies: [
            "PortServe", "PortKitTestSupport", .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        .testTarget(name: "PortProjectTests", dependencies: ["PortProject", "PortProjectTOML", "PortKitTestSupport"]),
        .testTarget(
            name: "PortDashEndToEndTests",
            dependencies: ["PortKit", "PortKitTestSupport"]
        ),
    ]
)
