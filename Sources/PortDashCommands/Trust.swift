import ArgumentParser

/// `portdash trust …` runs `portdash-serve trust …`: the CA's code
/// (swift-certificates, swift-crypto, NIOSSL for --check) is linked into
/// portdash-serve, which the router's TLS needs anyway, and stays out of
/// `portdash`, whose start-up every verb pays (docs/speed.md).
struct Trust: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trust",
        abstract: "Make a local CA that can sign only *.localhost and install it in every trust store, for https://web.shop.localhost/ (runs portdash-serve).")

    @Argument(parsing: .captureForPassthrough, help: "--check, --uninstall, --ca-path (see portdash trust --help).")
    var arguments: [String] = []

    func run() throws { try Serve.execServe(verb: "trust", ["trust"] + arguments) }
}
