import ArgumentParser
import PortDashCLI
import PortKit
import Glibc

struct Kill: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kill",
        abstract: "Stop the processes holding PORT: SIGTERM, a grace period, then SIGKILL if still the same process.",
        discussion: """
            Asks for confirmation on a terminal unless --yes; refuses without a terminal unless --yes. \
            Never signals pid 1, portdash itself or its ancestors, and never a pid reused since the scan \
            (start time checked, pidfd used where the kernel has it). Exit 77 when refused or not permitted.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The port whose holders to stop.")
    var port: UInt16

    @Option(help: "The first signal: TERM, INT, HUP, KILL or USR1 (or SIGTERM, 15).")
    var signal: KillSignal = .term

    @Option(help: "Seconds to wait after the first signal before SIGKILL.")
    var timeout: Double = ProcessKiller.defaultGracePeriod

    @Flag(help: "Do not ask for confirmation.")
    var yes = false

    @Flag(help: "Say what would be signalled, and signal nothing.")
    var dryRun = false

    func validate() throws {
        if !(timeout >= 0 && timeout <= 600) { throw ValidationError("--timeout must be between 0 and 600 seconds") }
        if port == 0 { throw ValidationError("port 0 is not a port") }
    }

    func run() throws {
        let sig = signal.number
        let report = try Kill.scan(port)
        let owners = report.owners
        if owners.isEmpty {
            if let uid = report.hiddenUIDs.first { throw Output.fail(.permissionDenied(report.hiddenKillAdvice(uid: uid))) }
            throw Output.fail(.nothingToKill(port: port, why: report.isUnheld ? "free" : "held by no process (\(report.holderSummary))"))
        }
        let targets = owners.map(KillTarget.init)
        // A holder never signalled (portdash's own shell, say) keeps the port whatever happens to the others: refused once, up front.
        if let refusal = targets.lazy.compactMap(KillGuard().protection).first {
            throw Output.fail(.killRefused("\(refusal.description); port \(port) stays held by it, so nothing was signalled"))
        }
        if let service = SupervisedHolder(port: port, lease: leaseOnPort()) { Output.printError("portdash: \(service)") }
        for t in targets { Output.printError("portdash: \(dryRun ? "would send" : "will send") \(signalName(sig)) to \(t.summary)") }
        if dryRun { return }
        if !yes { try confirm(sig, count: targets.count) }
        // The answer may have come minutes later: signal only processes that
        // still hold the port (same pid, same start time).
        let still = try Kill.scan(port).owners
        let current = targets.filter { t in still.contains { $0.pid == t.pid && $0.startTime == t.startTime } }
        for t in targets where !current.contains(t) { Output.printError("portdash: \(t.pid) \(t.name) no longer holds port \(port); not signalled") }
        let failure = signalAll(current, sig)
        let held = try lookAgain(targets)
        if let failure {
            if let held { Output.printError("portdash: \(held.description)") }
            throw ExitCode(failure.exitCode)
        }
        if let held { throw Output.fail(held) }
    }

    /// The state file's lease on the port, if it can be read: only to say
    /// whose service it is (kill works on any port, state file or not).
    func leaseOnPort() -> Lease? {
        guard let path = try? StatePath.resolve(explicit: global.state, environment: processEnvironment) else { return nil }
        return (try? LeaseStore(path: path).load())?.lease(on: port)
    }

    /// One scan of exactly this port.
    static func scan(_ port: UInt16) throws -> PortReport {
        try Output.core { () throws(PortKitError) in
            var scanner = PortScanner()
            return try scanner.scan(PortRange(uncheckedFirst: port, last: port)).ports[0]
        }
    }

    func confirm(_ sig: Int32, count: Int) throws {
        guard isatty(0) == 1 else {
            throw Output.fail(.killRefused("refusing to kill without confirmation: no terminal to ask on; pass --yes"))
        }
        var prompt = Array("Send \(signalName(sig)) to \(count == 1 ? "this process" : "these \(count) processes")? [y/N] ".utf8)
        _ = prompt.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
        guard (readLine() ?? "").lowercased().hasPrefix("y") else {
            Output.printError("portdash: nothing was signalled")
            throw ExitCode(1)
        }
    }

    /// Signals every target at once (one grace period for all); returns the
    /// first failure.
    func signalAll(_ targets: [KillTarget], _ sig: Int32) -> (any UserFacingError)? {
        var failure: (any UserFacingError)? = nil
        for (t, result) in zip(targets, ProcessKiller().terminateAll(targets, signal: sig, timeout: timeout)) {
            switch result {
            case .success(let outcome): Output.printError("portdash: \(t.pid) \(t.name) \(outcome)")
            case .failure(let e): Output.printError("portdash: \(e.description)"); failure = failure ?? e
            }
        }
        return failure
    }

    /// Looks at the port again and says how it stands: free (TIME_WAITs
    /// left stand in no server's way, PortOccupancy), a socket with no
    /// process that clears by itself (FIN_WAIT, or the TIME_WAIT of a server
    /// without SO_REUSEADDR), or held by a process still (a respawned
    /// worker, a supervisor's new child), which is returned as the failure.
    /// A holder that is one of `targets` (same pid and start time) holds it
    /// "still", not "now": the same process is not news.
    func lookAgain(_ targets: [KillTarget]) throws -> (any UserFacingError)? {
        let after = try watch()
        if let uid = after.hiddenUIDs.first, after.owners.isEmpty {
            return CommandError.stillHeld(port: port, by: after.hiddenHolderText(uid: uid), same: false)
        }
        if !after.owners.isEmpty {
            let same = after.owners.allSatisfy { o in targets.contains { $0.pid == o.pid && $0.startTime == o.startTime } }
            return CommandError.stillHeld(port: port, by: after.holderSummary, same: same)
        }
        if after.isUnheld {
            Output.printError("portdash: port \(port) is free")
        } else {
            Output.printError("portdash: port \(port) has no process; its \(after.holderSummary) socket clears by itself within a minute")
        }
        return nil
    }

    /// How long a port that looks free is watched: a supervisor restarts a
    /// killed server within milliseconds, after the first look.
    static let settle = 1.5

    /// Scans until a process holds the port again or `settle` has passed.
    func watch() throws -> PortReport {
        let deadline = monotonicSeconds() + Kill.settle
        var after = try Kill.scan(port)
        while after.owners.isEmpty && after.hiddenUIDs.isEmpty && monotonicSeconds() < deadline {
            usleep(100_000)
            after = try Kill.scan(port)
        }
        return after
    }
}

/// `--signal TERM` (or SIGTERM, term, 15), parsed once by ArgumentParser;
/// anything else is its one-line usage error listing the choices.
extension KillSignal: ExpressibleByArgument {
    public init?(argument: String) { self.init(parsing: argument) }
    public var defaultValueDescription: String { rawValue }
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}
