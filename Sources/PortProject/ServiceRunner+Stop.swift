import PortKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension ServiceRunner {
    /// TERM to every service's process group; KILL follows after the grace.
    func beginStop(code: Int32) {
        guard phase == .running else { return }
        exitCode = code
        for s in services where s.groupAlive { s.signalGroup(SIGTERM) }
        phase = .terminating(until: monotonicSeconds() + options.grace)
    }

    func killAll() {
        let left = services.filter(\.groupAlive)
        if !left.isEmpty { say("still running after TERM: \(left.map(\.spec.name).joined(separator: ", ")); sending KILL") }
        for s in left { s.signalGroup(SIGKILL) }
        phase = .killing(until: monotonicSeconds() + 5)
    }

    /// Done once no process of any service is left.
    func advanceStop() {
        reap()
        if services.allSatisfy({ !$0.groupAlive }) {
            phase = .done
            return
        }
        switch phase {
        case .terminating(let until) where monotonicSeconds() >= until: killAll()
        case .killing(let until) where monotonicSeconds() >= until:
            say("could not stop \(runningNames.joined(separator: ", ")) (a process that ignores KILL is stuck in the kernel); their leases are released anyway")
            phase = .done
        default: break
        }
    }

    /// Ends the leases this run took; each service keeps its port as last
    /// used, so the next `up` in this checkout gets the same ports.
    func releaseLeases() {
        let taken = Array(ports.granted.keys)
        do {
            try leaser.release(taken, ownedBy: [me] + Array(owners.values))
            let list = ports.granted.sorted { $0.value < $1.value }.map { "\($0.value) (\($0.key))" }
            say("stopped; released \(list.joined(separator: ", "))")
        } catch {
            say("stopped, but the leases could not be released: \(error.description)")
        }
    }
}
