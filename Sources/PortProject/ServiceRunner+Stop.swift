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
        for pid in strays() { kill(pid, SIGTERM) }
        phase = .terminating(until: monotonicSeconds() + options.grace)
    }

    func killAll() {
        let left = services.filter(\.groupAlive)
        if !left.isEmpty { say("still running after TERM: \(left.map(\.spec.name).joined(separator: ", ")); sending KILL") }
        for s in left { s.signalGroup(SIGKILL) }
        for pid in strays() { kill(pid, SIGKILL) }
        phase = .killing(until: monotonicSeconds() + 5)
    }

    /// Done once no process of any service is left.
    func advanceStop() {
        reap()
        if services.allSatisfy({ !$0.groupAlive }) && strays().isEmpty {
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

    /// Processes below `up` outside its services' groups: what a service
    /// started with setsid, or left behind when it exited. `up` is their
    /// subreaper, so they are still its descendants; they are stopped with
    /// the services (zombies are only reaped).
    func strays() -> [Int32] {
        let me = getpid()
        let reader = ProcessReader()
        let groups = Set(services.map(\.pgid))
        return ((try? ProcRoot.system.pids()) ?? []).filter { pid in
            guard pid != me, let st = reader.stat(pid), st.state != "Z", !groups.contains(getpgid(pid)) else { return false }
            return reader.ancestors(of: pid).contains(me)
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
