import ArgumentParser
import Dispatch
import PortDashCLI
import PortKit
import PortServe
import PortTrustCLI
import Glibc

/// `portdash serve` (the `portdash` binary execs this one, so that no other
/// verb links or starts the HTTP server).
@main
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "portdash serve",
        abstract: "Serve the pool's status, the leases, metrics and live events over HTTP, read-only, and route NAME.localhost to leased ports.",
        discussion: """
            GET /port-status (as status --json; ?all=1, ?port=N&port=M), /leases (as leases --json), \
            /metrics (Prometheus), /events (Server-Sent Events), /healthz. Loopback only unless --allow-remote; \
            a Host NAME.localhost is passed on to the port leased as NAME (docs/names.md); \
            requests whose Host is not localhost, 127.0.0.1, [::1], the listen address or under .localhost get 421. \
            Listens on 127.0.0.1:\(ListenAddress.defaultPort) and [::1]:\(ListenAddress.defaultPort) unless --listen says one, \
            and for HTTPS (HTTP/2 and HTTP/1.1) on 127.0.0.1:\(ListenAddress.defaultTLSPort) and [::1]:\(ListenAddress.defaultTLSPort) \
            when portdash trust has made the local CA (--tls-listen says where; --no-tls: none); \
            with LISTEN_FDS (systemd socket activation) on the sockets given (one named https is served over TLS). \
            SIGINT or SIGTERM stops it with exit 0. Details: docs/serve.md, sections "Safety rules", "Limits" and "HTTPS".
            Example: curl -s http://127.0.0.1:\(ListenAddress.defaultPort)/port-status
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("ADDRESS:PORT to listen on: 127.0.0.1:PORT or [::1]:PORT (default: both, port \(ListenAddress.defaultPort)).",
                               valueName: "address:port"))
    var listen: String?

    @Option(name: .customLong("tls-listen"),
            help: ArgumentHelp("ADDRESS:PORT to serve HTTPS on, repeatable (certificates from portdash trust's local CA; default: 127.0.0.1:\(ListenAddress.defaultTLSPort) and [::1]:\(ListenAddress.defaultTLSPort) when that CA exists and --listen is not given).",
                               valueName: "address:port"))
    var tlsListen: [String] = []

    @Flag(name: .customLong("no-tls"), help: "Serve plain HTTP only, even when portdash trust has made the local CA.")
    var noTLS = false

    @Flag(help: "Allow a --listen address that is not loopback (other machines could then read your processes' command lines).")
    var allowRemote = false

    @Option(help: "Seconds between refreshes of the pool (0.1 to 3600).")
    var interval: Double = 1

    @Option(help: ArgumentHelp("Seconds a routed upstream has to begin its answer; then 504 (0.1 to 3600).", valueName: "seconds"))
    var answerTimeout: Double = ServeLimits().answerSeconds

    func validate() throws {
        if noTLS && !tlsListen.isEmpty {
            throw ValidationError("--no-tls and --tls-listen contradict each other; give one of them")
        }
        guard interval.isFinite, interval >= 0.1, interval <= 3600 else {
            throw ValidationError("--interval \(interval) is out of range; give seconds from 0.1 to 3600, e.g. --interval 1")
        }
        guard answerTimeout.isFinite, answerTimeout >= 0.1, answerTimeout <= 3600 else {
            throw ValidationError("--answer-timeout \(answerTimeout) is out of range; give seconds from 0.1 to 3600, e.g. --answer-timeout 60")
        }
    }

    func run() async throws {
        let ctx = try Context(global)
        // systemd socket activation (LISTEN_FDS): the sockets are given, --listen is not used.
        let inherited = try serveCore { () throws(ServeError) in try SocketActivation.take() }
        let address = try (inherited.first { !$0.tls } ?? inherited.first)?.address ?? serveCore { () throws(ServeError) in
            try checked(listen ?? "127.0.0.1:\(ListenAddress.defaultPort)")
        }
        var limits = ServeLimits()
        limits.answerSeconds = answerTimeout
        limits.fit(descriptors: ServeLimits.raiseDescriptorLimit())
        var server = PortServer(listen: address, range: ctx.range, store: ctx.store, interval: interval, limits: limits)
        let sockets = try inherited.isEmpty ? bindAll(address, &server)
            : inherited.map { Bound(socket: PortServer.Socket(fd: $0.fd, port: $0.address.port, tls: $0.tls), address: $0.address.description) }
        if !inherited.isEmpty && inherited.contains(where: \.tls) {
            server.issuer = try serveCore { () throws(ServeError) in try LocalCAIssuer.load().get() }
            server.tlsListen = inherited.filter(\.tls).map(\.address)
        }
        let range = ctx.range, every = interval
        let via = inherited.isEmpty ? "" : " (socket activation: \(inherited.map { $0.address.description }.joined(separator: ", ")))"
        let urls = sockets.map { ($0.socket.tls ? "https://" : "http://") + $0.address }.joined(separator: " and ")
        let serving = server, all = sockets
        let record = RouterRecording(statePath: ctx.store.path)
        let task = Task {
            await serving.serve(all.map { $0.socket }) {
                record.write(http: all.first { !$0.socket.tls }?.socket.port, https: all.first { $0.socket.tls }?.socket.port)
                Output.printError("portdash serve: listening on \(urls)\(via) (pool \(range), every \(every)s); Ctrl-C stops")
            }
        }
        ServeCommand.stop(on: [SIGINT, SIGTERM]) { task.cancel() }
        let served = await task.value
        record.remove()
        guard served else {
            Output.printError("portdash serve: cannot set up the event loop on the listening socket: \(errnoText(errno)); check the process's limits (ulimit -n)")
            throw ExitCode(71)
        }
    }

    /// --listen or --tls-listen's address, loopback unless --allow-remote.
    func checked(_ text: String, option: String = "--listen") throws(ServeError) -> ListenAddress {
        let a: ListenAddress
        do { a = try ListenAddress(parsing: text) } catch {
            if case .badListen(let text, let why, _) = error { throw .badListen(text: text, why: why, option: option) }
            throw error
        }
        if !a.isLoopback && !allowRemote { throw .notLoopback(a, option: option) }
        return a
    }

    /// A socket bound here, with the address it shows in the first line.
    struct Bound {
        let socket: PortServer.Socket
        let address: String
    }

    /// The plain listener (and [::1] by default), then HTTPS: --tls-listen's,
    /// or by default 127.0.0.1 and [::1] on port 5443 when the local CA exists.
    func bindAll(_ address: ListenAddress, _ server: inout PortServer) throws -> [Bound] {
        var out = [Bound(socket: .init(fd: try serveCore { () throws(ServeError) in try server.bind() }, port: address.port, tls: false),
                         address: address.description)]
        // The default listens on ::1 too (a browser may try it first for a .localhost name); a machine without IPv6 does without.
        if listen == nil, let v6 = try? ListenAddress(parsing: "[::1]:\(address.port)"), let fd = try? ListenSocket.open(v6) {
            out.append(Bound(socket: .init(fd: fd, port: v6.port, tls: false), address: v6.description))
        }
        var tls = try tlsListen.map { text in try serveCore { () throws(ServeError) in try checked(text, option: "--tls-listen") } }
        if !tls.isEmpty {
            server.issuer = try serveCore { () throws(ServeError) in try LocalCAIssuer.load().get() }
        } else if listen == nil && !noTLS {
            switch LocalCAIssuer.load() {
            case .success(let issuer):
                server.issuer = issuer
                tls = [ListenAddress.defaultTLS]
                if let v6 = try? ListenAddress(parsing: "[::1]:\(ListenAddress.defaultTLSPort)") { tls.append(v6) }
            case .failure:
                Output.printError("portdash serve: HTTPS is off: portdash trust makes the local CA that turns it on (https://NAME.localhost:\(ListenAddress.defaultTLSPort)/)")
            }
        } else if !noTLS, case .success = LocalCAIssuer.load() {
            // --listen alone moves the plain listener only; say that HTTPS stays off rather than drop it silently.
            Output.printError("portdash serve: HTTPS is off with --listen alone; add --tls-listen 127.0.0.1:\(ListenAddress.defaultTLSPort) for it (or --no-tls to say so)")
        }
        for (i, a) in tls.enumerated() {
            // The default [::1] is best effort, like the plain one.
            let isDefaultV6 = tlsListen.isEmpty && i > 0
            guard let fd = isDefaultV6 ? try? ListenSocket.open(a) : try serveCore({ () throws(ServeError) in try ListenSocket.open(a) }) else { continue }
            out.append(Bound(socket: .init(fd: fd, port: a.port, tls: true), address: a.description))
            server.tlsListen.append(a)
        }
        return out
    }

    /// The signal sources, kept for the life of the process: a source that is
    /// released stops handling its signal, which stays ignored (an optimised
    /// build may release a local right after its last use).
    nonisolated(unsafe) static var signalSources: [any DispatchSourceSignal] = []

    /// SIGINT and SIGTERM cancel the server (exit 0 once it has stopped);
    /// SIGPIPE is ignored (a client that left is a failed write, not a death).
    static func stop(on signals: [Int32], _ action: @escaping @Sendable () -> Void) {
        signal(SIGPIPE, SIG_IGN)
        signalSources = signals.map { sig in
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler(handler: action)
            source.resume()
            return source
        }
    }

    /// One-line usage errors, like `portdash` itself.
    static func main() async {
        if CommandLine.arguments.count > 1 && CommandLine.arguments[1] == "trust" {
            TrustCommand.runAsVerb(Array(CommandLine.arguments.dropFirst(2)))
        }
        do {
            var command = try parseAsRoot()
            if var async = command as? any AsyncParsableCommand {
                try await async.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .success || message(for: error).isEmpty { exit(withError: error) }
            let line = message(for: error).split(separator: "\n").first.map(String.init) ?? "invalid arguments"
            Output.printError("portdash serve: " + line.replacingAll("Error: ", with: "") + "; see: portdash serve --help")
            exit(withError: ExitCode(64))
        }
    }
}

/// A ServeError becomes its one line and exit code.
func serveCore<T>(_ body: () throws(ServeError) -> T) throws -> T {
    switch Result(catching: body) {
    case .success(let value): return value
    case .failure(let error):
        Output.printError("portdash serve: \(error.description)")
        throw ExitCode(error.exitCode)
    }
}
