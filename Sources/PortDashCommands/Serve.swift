import ArgumentParser
import PortDashCLI
import PortKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// `portdash serve …` runs `portdash-serve …` from the same directory, so the
/// HTTP server is neither linked into nor started by any other verb.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve status, leases, metrics and live events over HTTP on 127.0.0.1:5099, read-only (runs portdash-serve).")

    @Argument(parsing: .captureForPassthrough, help: "Options for portdash-serve (see portdash serve --help).")
    var arguments: [String] = []

    func run() throws {
        let path = SiblingExecutable.path("portdash-serve")
        guard access(path, X_OK) == 0 else {
            printError("portdash: serve needs \(path), which is missing; build it beside portdash with: swift build -c release --product portdash-serve")
            throw ExitCode(69)
        }
        SiblingExecutable.exec(path, arguments)
        printError("portdash: cannot run \(path): \(errnoText(errno)); check that it is an executable built for this machine")
        throw ExitCode(71)
    }
}
