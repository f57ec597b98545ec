// swift-tools-version: 6.1
import PackageDescription

// A release build links the Swift runtime statically: start-up is most of a
// `status` call (see docs/speed.md), and the binary runs without the
// toolchain's libraries. ncursesw stays a dynamic system library. TOMLKit
// imports Foundation's Data: the static Foundation comes with CoreFoundation
// and ICU behind it. Debug builds and `swift test` are as before.
func staticRelease() -> [LinkerSetting] {
    let libraries = ["-l_FoundationCShims", "-l_FoundationCollections", "-lswiftSynchronization",
                     "-lCoreFoundation", "-lFoundationInternationalization", "-l_FoundationICU"]
    return [.unsafeFlags(["-static-stdlib"] + libraries.flatMap { ["-Xlinker", $0] },
                         .when(platforms: [.linux], configuration: .release))]
}

// FileDescriptor, Errno and FilePath: the system calls swift-system covers.
let systemPackage: Target.Dependency = .product(name: "SystemPackage", package: "swift-system")

let package = Package(
    name: "portdash",
    products: [
        .executable(name: "portdash", targets: ["portdash"]),
        .executable(name: "portdash-serve", targets: ["portdash-serve"]),
        .library(name: "PortKit", targets: ["PortKit"]),
        .library(name: "PortTrust", targets: ["PortTrust"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // Only `portdash-serve` links it (PortServe: the HTTP server and the router).
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        // serve's HTTPS listeners (--tls-listen): TLS 1.2/1.3, ALPN h2 and http/1.1.
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-http2", from: "1.46.0"),
        // Only portdash-serve links these: the local CA (PortTrust, `portdash trust`)
        // and, in the tests, a stand-in CA for serve's certificates.
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
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
        // Linux-only interfaces Glibc's module lacks: the pidfd, getdents64 and
        // seccomp calls, the checked fork + exec, glibc's GNU extensions. A C
        // target (include/CLinux.h declares, the .c files define), built with
        // _GNU_SOURCE as SwiftNIO's CNIOLinux is.
        .target(name: "CLinux", path: "Shims/CLinux", cSettings: [.define("_GNU_SOURCE")]),

        // The core: /proc parsing, socket owners, bind probe, leases. No curses, no CLI.
        .target(name: "PortKit", dependencies: ["CLinux", systemPackage]),
        // The dashboard: plain state + key handling + rendering; one file imports CNcurses.
        .target(name: "PortDashUI", dependencies: ["PortKit", "CNcurses", "CLinux", systemPackage]),
        // What both executables share: global options, the context, one-line messages.
        .target(name: "PortDashCLI", dependencies: [
            "PortKit", "PortProject", systemPackage, .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // Projects: portdash.toml, Procfile, the user's config, and running a
        // project's services (`up`, `env`, `wait`). TOMLKitReader is the only
        // importer of TOMLKit.
        .target(name: "PortProject", dependencies: [
            "PortKit", "CLinux", systemPackage, .product(name: "TOMLKit", package: "TOMLKit"),
        ]),
        // Every verb.
        .target(name: "PortDashCommands", dependencies: [
            "PortKit", "PortDashUI", "PortDashCLI", "PortProject", systemPackage,
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // The one CLI executable: every verb, the TOML reader linked in.
        .executableTarget(name: "portdash", dependencies: ["PortDashCommands"], linkerSettings: staticRelease()),
        // `portdash serve`: the read-only HTTP service, in a library of its own
        // so that the `portdash` binary never links the server.
        .target(name: "PortServe", dependencies: [
            "PortKit", "PortProject",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOTLS", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "NIOHTTP2", package: "swift-nio-http2"),
        ]),
        // The local CA that can sign nothing but localhost names and loopback
        // addresses (docs/names.md, HTTPS): what `portdash trust` makes and the router's TLS uses.
        .target(name: "PortTrust", dependencies: [
            "PortKit", systemPackage,
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
        ]),
        // `portdash trust`: the trust stores (system, NSS, Node, Python, curl) and
        // `--check`'s throwaway TLS server. Linked only into portdash-serve.
        .target(name: "PortTrustCLI", dependencies: [
            "PortTrust", "PortKit", "PortDashCLI", systemPackage,
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),
        .executableTarget(
            name: "portdash-serve",
            dependencies: [
                "PortServe", "PortDashCLI", "PortKit", "PortTrust", "PortTrustCLI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            // It reads the project's [pool] through TOMLKit, hence Foundation.
            linkerSettings: staticRelease()
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
            .product(name: "NIOEmbedded", package: "swift-nio"), .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "X509", package: "swift-certificates"), .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
        ]),
        .testTarget(name: "PortProjectTests", dependencies: ["PortProject", "PortKitTestSupport"]),
        .testTarget(name: "PortTrustTests", dependencies: [
            "PortTrust", "PortKitTestSupport",
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
        ]),
        .testTarget(
            name: "PortDashEndToEndTests",
            // PortProject for ControlPath: where a stand-in `up` listens; PortTrust: leaves
            // from a test CA for the TLS servers the trust tests start.
            dependencies: ["PortKit", "PortProject", "PortKitTestSupport", "PortTrust"]
        ),
    ]
)

// A file sees only the members of the modules it imports itself: TOMLKit
// loads Foundation into PortProject, and without this `String.contains` and
// the like in every module above it would quietly bind to Foundation's
// (which drags ICU's 34 MB of data and its start-up into the binary).
for target in package.targets where target.type != .system {
    target.swiftSettings = (target.swiftSettings ?? []) + [.enableUpcomingFeature("MemberImportVisibility")]
}
