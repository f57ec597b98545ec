import ArgumentParser
import PortDashCLI
import PortKit
import PortProject

struct Wait: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wait",
        abstract: "Wait until PORT, or a service's port, is listening (or free with --free).",
        discussion: """
            PORT is a number; SERVICE (or SERVICE.NAME for a named port) is a service of the project \
            in the current directory, whose port is read from its lease (it may be leased after the wait \
            starts). Polls the socket table every 50 ms, as status reads it; never connects. \
            --free waits until the port is free: nothing listens and no socket holds it but TIME_WAITs, \
            which stand in no server's way (servers bind with SO_REUSEADDR). Exit 0 when it happens, 69 at the timeout.
            Example: portdash up & portdash wait api && curl http://127.0.0.1:$(portdash env | sed -n 's/^API_PORT=//p')/
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("A port number, or a service of the project (SERVICE or SERVICE.NAME).", valueName: "port|service"), completion: ServiceCompletion.servicePorts)
    var target: String

    @Flag(help: "Wait until the port is free instead (nothing listens, no socket but TIME_WAITs holds it).")
    var free = false

    @Option(help: "Seconds to wait before giving up (0 checks once).")
    var timeout: Double = 30

    func validate() throws {
        if !(timeout >= 0 && timeout <= 86400) { throw ValidationError("--timeout must be between 0 and 86400 seconds, e.g. --timeout 30") }
        if let p = Int(target), !(1...65535).contains(p) { throw ValidationError("port \(target) is not a port; give 1-65535 or a service name") }
    }

    func run() throws {
        let ctx = try Context(global)
        let (watched, label) = try resolve()
        let watch = PortWatch(store: ctx.store)
        let ok = try Output.core { () throws(PortKitError) in try watch.wait(for: watched, free: free, timeout: timeout) }
        if ok { return }
        let port = try? Output.core { () throws(PortKitError) in try watch.port(of: watched) }
        let what: String
        switch (port, free) {
        case (nil, _): what = "\(label) has no port leased (start it: portdash up)"
        case (let p?, false): what = label.hasPrefix("port ") ? "nothing listens on port \(p)" : "\(label) is not listening on port \(p)"
        case (let p?, true): what = (label.hasPrefix("port ") ? "port \(p)" : "\(label) on port \(p)") + " is still held (see who: portdash status \(p))"
        }
        throw Output.fail(.waitTimedOut(what: what, seconds: timeout))
    }

    /// A port, or a project's lease key and how to name it.
    func resolve() throws -> (PortWatch.Target, String) {
        if let p = UInt16(target) { return (.port(p), "port \(p)") }
        let p = try ProjectContext(global)
        let parts = target.split(separator: ".", maxSplits: 1).map(String.init)
        let spec = try p.service(parts[0])
        let name = parts.count > 1 ? parts[1] : nil
        if let name, !spec.ports.contains(name) {
            throw Output.fail(.unknownService(name: target, project: p.project.name,
                                       known: p.project.services.flatMap { s in [s.name] + s.ports.map { s.name + "." + $0 } }))
        }
        return (.lease(p.project.key(spec.name, port: name)), "\(target) · \(p.project.name)")
    }
}
