/// The dashboard's resolver. Listeners rarely change, so it remembers where
/// each socket inode was found (pid, fd) and on the next refresh re-reads
/// just those links (one readlinkat each). A full /proc walk happens only
/// for inodes it has not seen, and every `fullWalkEvery` seconds anyway, so
/// a process that later inherits a known socket (a fork) is still found.
public struct CachingOwnerResolver: OwnerResolving {
    public let walker: SocketOwners
    public var fullWalkEvery: Double
    private var known: [UInt64: [FDRef]] = [:]
    /// Inodes the last full walk could not place (another user's process):
    /// not worth a walk every refresh; the periodic walk retries them.
    private var unfound: Set<UInt64> = []
    private var lastFullWalk: Double = -.infinity
    private var unreadable = 0
    /// For measurement: how the last resolve was done.
    public private(set) var lastWasFullWalk = false

    public init(root: ProcRoot = .system, fullWalkEvery: Double = 10) {
        walker = SocketOwners(root: root)
        self.fullWalkEvery = fullWalkEvery
    }

    public mutating func resolve(_ inodes: Set<UInt64>) throws(PortKitError) -> SocketOwners.Result {
        let now = monotonicSeconds()
        var missing = Set<UInt64>()
        var verified: [UInt64: [FDRef]] = [:]
        if now - lastFullWalk < fullWalkEvery {
            let procfd = try walker.root.openDirectory()
            defer { close(procfd) }
            for inode in inodes {
                if unfound.contains(inode) { continue }
                guard let refs = known[inode] else { missing.insert(inode); continue }
                let still = refs.filter { walker.verify($0, inode: inode, procfd: procfd) }
                if still.isEmpty { missing.insert(inode) } else { verified[inode] = still }
            }
        } else {
            missing = inodes
        }
        lastWasFullWalk = !missing.isEmpty
        var result = SocketOwners.Result()
        if !missing.isEmpty {
            // One walk finds the unknown inodes and refreshes the known ones,
            // so shared sockets keep every holder.
            result = try walker.find(inodes)
            lastFullWalk = now
            unreadable = result.unreadablePids
            known = result.holders
            unfound = inodes.subtracting(result.holders.keys)
        } else {
            result.holders = verified
            result.unreadablePids = unreadable
            for (inode, refs) in verified { known[inode] = refs }
            // Forget inodes no longer asked about (closed sockets).
            known = known.filter { inodes.contains($0.key) }
            unfound.formIntersection(inodes)
        }
        return result
    }
}
