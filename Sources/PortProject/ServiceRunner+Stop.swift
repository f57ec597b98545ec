import PortKit
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

extension ServiceRunner {
    /// Everything has stopped: the groups go, then the leases; the keeper
    /// is told by its pipe closing.
    func finish() {
        for s in services.values { s.group.remove() }
        if let base, case .cgroup(let tree, _) = mode { tree.remove(base) }
        releaseLeases()
        control?.close()
        try? keeper?.close()
        stdout.drain(seconds: 1)
    }

    /// Ends the leases this run took; each service keeps its port as last
    /// used, so the next `up` in this checkout gets the same ports.
    func releaseLeases() {
        let taken = Array(ports.granted.keys)
        do {
            try leaser.release(taken, ownedBy: [me] + services.values.compactMap(\.owner))
            let list = ports.granted.sorted { $0.value < $1.value }.map { "\($0.value) (\($0.key))" }
            say("stopped; released \(list.joined(separator: ", "))")
        } catch {
            say("stopped, but the leases could not be released: \(error.description)")
        }
    }
}
