import SystemPackage

/// The dashboard's resolver: a refresh costs a few syscalls, not a /proc
/// walk, while still finding every holder.
///
/// - Each socket inode's holders (pid, fd) are remembered and re-verified
///   with one readlinkat per reference.
/// - Processes that appeared since the last refresh are walked in full:
///   a fork that shares a listening socket is a new process, so it is found
///   at once.
/// - A socket not seen before was made since the last refresh; its holders
///   are its creator (an old or a new process) and later forks (new). Old
///   processes are walked newest first and the walk stops once each new
///   socket has a holder.
/// - Sockets no process could be found for (another user's, not readable)
///   are retried only at the safety walk.
/// - A full walk every `fullWalkEvery` seconds (default 5 minutes) catches
///   what none of this can see: a socket passed to an old process over a
///   Unix socket (SCM_RIGHTS).
public struct CachingOwnerResolver: OwnerResolving {
    public let walker: SocketOwners
    public var fullWalkEvery: Double
    private var known: [UInt64: [FDRef]] = [:]
    private var unfound: Set<UInt64> = []
    private var seenPids: Set<Int32> = []
    private var lastFullWalk: Double = -.infinity
    private var unreadable: Set<Int32> = []
    /// How the last resolve went, for tests and measurements.
    public private(set) var lastWasFullWalk = false
    public private(set) var lastWalkedPids = 0
    /// Of those, the processes that were new since the refresh before.
    public private(set) var lastFreshPids = 0

    public init(root: ProcRoot = .system, fullWalkEvery: Double = 300) {
        walker = SocketOwners(root: root)
        self.fullWalkEvery = fullWalkEvery
    }

    public mutating func resolve(_ inodes: Set<UInt64>) throws(PortKitError) -> SocketOwners.Result {
        try resolve(inodes, primary: inodes)
    }

    public mutating func resolve(_ inodes: Set<UInt64>, primary: Set<UInt64>) throws(PortKitError) -> SocketOwners.Result {
        let now = monotonicSeconds()
        let pids = try walker.root.pids()
        if now - lastFullWalk >= fullWalkEvery { return try fullWalk(inodes, pids: pids, now: now) }
        lastWasFullWalk = false
        var (holders, lost) = try reverify(inodes)
        let fresh = pids.filter { !seenPids.contains($0) }
        lastFreshPids = fresh.count
        var walked = try walkFresh(fresh, for: inodes, into: &holders)
        walked += try findNewListeners(inodes, primary: primary, lost: lost, pids: pids, fresh: fresh, into: &holders)
        walked += try findConnections(inodes, primary: primary, fresh: fresh, into: &holders)
        lastWalkedPids = walked
        return remember(holders, inodes: inodes, pids: pids, walked: walked)
    }

    /// The safety walk: every process, and start remembering afresh.
    mutating func fullWalk(_ inodes: Set<UInt64>, pids: [Int32], now: Double) throws(PortKitError) -> SocketOwners.Result {
        let result = try walker.find(inodes, pids: pids)
        known = result.holders
        unfound = inodes.subtracting(result.holders.keys)
        unreadable = result.unreadable
        seenPids = Set(pids)
        lastFullWalk = now
        lastWasFullWalk = true
        lastWalkedPids = pids.count
        return result
    }

    /// 1. What we know, one readlinkat per reference. `lost`: known, but no
    /// reference verifies any more (fd moved, holder gone).
    func reverify(_ inodes: Set<UInt64>) throws(PortKitError) -> (holders: [UInt64: [FDRef]], lost: Set<UInt64>) {
        var holders: [UInt64: [FDRef]] = [:]
        var lost = Set<UInt64>()
        let procfd = try walker.root.openDirectory()
        defer { try? procfd.close() }
        for inode in inodes {
            guard let refs = known[inode] else { continue }
            let still = refs.filter { walker.verify($0, inode: inode, procfd: procfd) }
            if still.isEmpty { lost.insert(inode) } else { holders[inode] = still }
        }
        return (holders, lost)
    }

    /// 2. New processes, in full, for every inode of interest (a fork sharing a listener is one).
    mutating func walkFresh(_ fresh: [Int32], for inodes: Set<UInt64>, into holders: inout [UInt64: [FDRef]]) throws(PortKitError) -> Int {
        guard !fresh.isEmpty else { return 0 }
        let found = try walker.find(inodes, pids: fresh, workers: 1)
        unreadable.formUnion(found.unreadable)
        for (inode, refs) in found.holders { holders[inode, default: []].append(contentsOf: refs) }
        return fresh.count
    }

    /// 3. New listeners (and known ones whose references all failed): old
    /// processes, newest first, until each has an old holder. This runs even
    /// when new processes already hold the socket: a pre-fork server's
    /// master is old, its workers are new, and both must show.
    mutating func findNewListeners(_ inodes: Set<UInt64>, primary: Set<UInt64>, lost: Set<UInt64>, pids: [Int32], fresh: [Int32],
                                   into holders: inout [UInt64: [FDRef]]) throws(PortKitError) -> Int {
        let missing = inodes.filter { primary.contains($0) && (known[$0] == nil || lost.contains($0)) && !unfound.contains($0) }
        guard !missing.isEmpty else { return 0 }
        let freshSet = Set(fresh)
        let old = pids.filter { !freshSet.contains($0) }.sorted(by: >)
        let found = try walker.find(Set(missing), pids: old, workers: 1, stopWhenEachFound: true)
        for (inode, refs) in found.holders { holders[inode, default: []].append(contentsOf: refs) }
        for inode in missing where found.holders[inode] == nil { unfound.insert(inode) }
        return found.scannedPids
    }

    /// 4. New connections: their server holds them, so look in the
    /// listeners' processes first; the rest wait for the safety walk (a
    /// browser opening connections must not cost a walk each time). New
    /// processes were searched for every inode in step 2, so not again here.
    func findConnections(_ inodes: Set<UInt64>, primary: Set<UInt64>, fresh: [Int32],
                         into holders: inout [UInt64: [FDRef]]) throws(PortKitError) -> Int {
        let secondary = inodes.filter { holders[$0] == nil && !primary.contains($0) }
        guard !secondary.isEmpty else { return 0 }
        let near = Set(primary.compactMap { holders[$0] ?? known[$0] }.flatMap { $0.map(\.pid) }).subtracting(fresh)
        let found = try walker.find(Set(secondary), pids: near.sorted(), workers: 1)
        for (inode, refs) in found.holders { holders[inode, default: []].append(contentsOf: refs) }
        return near.count
    }

    /// Remember for next time; forget closed sockets and gone processes.
    mutating func remember(_ found: [UInt64: [FDRef]], inodes: Set<UInt64>, pids: [Int32], walked: Int) -> SocketOwners.Result {
        var holders = found
        for key in holders.keys { holders[key]!.sort { ($0.pid, $0.fd) < ($1.pid, $1.fd) } }
        known = holders
        unfound.formIntersection(inodes)
        seenPids = Set(pids)
        // Processes that exited no longer count as unreadable.
        unreadable.formIntersection(seenPids)
        var result = SocketOwners.Result()
        result.holders = holders
        result.unreadable = unreadable
        result.scannedPids = walked
        return result
    }
}
