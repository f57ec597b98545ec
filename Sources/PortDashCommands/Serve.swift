import ArgumentParser
import PortDashCLI
import PortKit
import Glibc

/// `portdash serve …` runs `portdash-serve …` from the same directory, so the
/// HTTP server is neither linked into nor started by any other verb.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve status, leases, metrics and live events over HTTP on 127.0.0.1:5099, read-only (runs portdash-serve).")

    @Argument(parsing: .captureForPassthrough, help: "Options for portdash-serve (see portdash serve --help).")
    var arguments: [String] = []

    func run() throws { try Serve.execServe(verb: "serve", arguments) }
}

extension Serve {
    /// Replaces this process with `portdash-serve` (ARGS…), found beside this
    /// executable; returns only by throwing when it cannot.
    static func execServe(verb: String, _ arguments: [String]) throws -> Never {
        let path = Serve.besideThisExecutable("portdash-serve")
        guard access(path, X_OK) == 0 else {
            Output.printError("portdash: \(verb) needs \(path), which is missing; build it beside portdash with: swift build -c release --product portdash-serve")
            throw ExitCode(69)
        }
        var argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) }
        argv.append(nil)
        execv(path, argv)
        Output.printError("portdash: cannot run \(path): \(errnoText(errno)); check that it is an executable built for this machine")
        throw ExitCode(71)
    }

    /// `name` in the directory of this executable, found through
    /// /proc/self/exe so that a symlink to portdash on PATH still finds it.
    static func besideThisExecutable(_ name: String) -> String {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        let me = n > 0 ? String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : CommandLine.arguments[0]
        let dir = me.lastIndex(of: "/").map { String(me[..<$0]) } ?? "."
        return dir + "/" + name
    }
}
