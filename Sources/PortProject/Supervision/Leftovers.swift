import PortKit
#if canImport(Glibc)
import Glibc
#endif

/// Services a killed `up` left running (its keeper could not stop them:
/// pidfd mode, or the keeper was killed too). The next `up` in the
/// checkout finds them by their leases — owner alive, supervisor gone —
/// says so, stops them and ends their leases before it leases anew.
public enum Leftovers {
    public static func stop(root: String, store: LeaseStore, env: some LeaseEnvironment, say: (String) -> Void) throws(PortKitError) {
        let book = try store.load()
        let left = book.leases.filter { $0.project?.root == root && LeasePolicy.isLeftByKilledSupervisor($0, env: env) }
        var owners: [LeaseOwner] = []
        for l in left where !owners.contains(l.owner!) { owners.append(l.owner!) }
        guard !owners.isEmpty else { return }
        for o in owners {
            let names = left.filter { $0.owner == o }.map(\.label).joined(separator: ", ")
            say("\(names): left running by a killed portdash up (\(o.group.map { "cgroup \($0)" } ?? "pid \(o.pid)")); stopping it")
            stop(o)
        }
        try store.update { (book: inout LeaseBook) throws(PortKitError) in
            for l in book.leases where l.owner.map(owners.contains) == true {
                book.lastUsed[l.key] = l.port
            }
            book.leases.removeAll { $0.owner.map(owners.contains) == true }
        }
    }

    /// The whole group; without one, the owner's process group, signalled
    /// only while its leader is pinned alive (so the group id cannot have
    /// been reused), and the leader through its pidfd.
    static func stop(_ owner: LeaseOwner) {
        if let group = owner.group, let tree = CgroupTree.shared {
            _ = tree.kill(group)
            let deadline = monotonicSeconds() + 5
            while tree.isPopulated(group) && monotonicSeconds() < deadline { usleep(20_000) }
            tree.remove(group)
            if let parent = group.split(separator: "/").dropLast().joined(separator: "/") as String?, parent.contains("portdash-"),
               !tree.isPopulated("/" + parent) {
                tree.remove("/" + parent)
            }
            return
        }
        guard let leader = PinnedProcess(owner.pid, startTime: owner.startTime) else { return }
        if ProcessReader().stat(owner.pid)?.pgrp == owner.pid, !leader.hasExited { killpg(owner.pid, SIGKILL) }
        leader.signal(SIGKILL)
        let deadline = monotonicSeconds() + 5
        while !leader.hasExited && monotonicSeconds() < deadline { usleep(20_000) }
    }
}
