import ArgumentParser
import PortKit

@main
struct PortDash: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "portdash",
        abstract: "Ends \"port already in use\": a DHCP-style pool of development ports, and a live view of who holds them.",
        discussion: """
            With no subcommand, opens the dashboard. Exit codes: 0 success, 1 failure, \
            64 usage error, 65 bad state file or /proc data, 66 no such lease, 69 pool exhausted \
            or request refused, 71 system error (/proc missing), 73 state file not writable \
            (disk full, read-only), 75 state lock timeout, 77 not permitted (kill refused, \
            unsafe state directory).
            """,
        version: "0.1.0",
        subcommands: [Dash.self, Status.self, LeaseCommand.self, Release.self, Reserve.self, Leases.self, Run.self, Kill.self, Repair.self, BenchRefresh.self],
        defaultSubcommand: Dash.self
    )
}

/// Prints a core error as one line on stderr and exits with its code.
func fail(_ error: PortKitError) -> ExitCode {
    printError("portdash: \(error.description)")
    return ExitCode(error.exitCode)
}

func printError(_ line: String) {
    var bytes = Array(line.utf8)
    bytes.append(10)
    _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}

/// Writes to stdout in one syscall (no Foundation buffering on the hot path).
func writeOut(_ text: String) {
    var text = text
    text.withUTF8 { buf in
        var off = 0
        while off < buf.count {
            let n = write(1, buf.baseAddress! + off, buf.count - off)
            if n <= 0 { if errno == EINTR { continue }; return }
            off += n
        }
    }
}

func environment(_ name: String) -> String? {
    guard let v = getenv(name) else { return nil }
    return String(cString: v)
}

/// Runs core work; a PortKitError becomes its one-line message and exit code.
/// (One place for it, which also sidesteps a Swift 6.3 SIL crash with
/// `catch let e as PortKitError` over typed throws.)
func core<T>(_ body: () throws(PortKitError) -> T) throws -> T {
    let result: Result<T, PortKitError> = Result(catching: body)
    switch result {
    case .success(let value): return value
    case .failure(let error): throw fail(error)
    }
}
