import Dispatch
import SystemPackage
import Glibc

/// One place a socket is held: a process and the descriptor number in it.
public struct FDRef: Sendable, Hashable {
    public let pid: Int32
    public let fd: Int32
    /// The thread whose table showed it, when /proc/PID/fd did not: a
    /// process whose main thread has exited (pthread_exit) keeps its
    /// descriptors, but they are listed only under /proc/PID/task/TID/fd.
    public let thread: Int32?
    public init(pid: Int32, fd: Int32, thread: Int32? = nil) { self.pid = pid; self.fd = fd; self.thread = thread }

    /// "PID/fd/FD" or "PID/task/TID/fd/FD", relative to /proc.
    var linkPath: String { thread.map { "\(pid)/task/\($0)/fd/\(fd)" } ?? "\(pid)/fd/\(fd)" }
}

/// Finds which processes hold which socket inodes by reading the links in
/// /proc/PID/fd (each socket reads back as "socket:[INODE]").
///
/// This is the hot path of every scan (about 6 µs per process and 1.8 µs per
/// fd on this kind of machine), so it is written against the bare calls
/// (Syscalls' inlined wrappers): getdents64 into one reused buffer, and
/// readlinkat relative to an open /proc/PID/fd directory descriptor (cheaper
/// than full paths), no Foundation, no String per link, and the pids split
/// over the machine's cores. A process that vanishes or is not ours to read
/// is skipped: that is a normal race, not a failure.
public struct SocketOwners: Sendable {
    public let root: ProcRoot
    public init(root: ProcRoot = .system) { self.root = root }

    public struct Result: Sendable {
        /// inode → every (pid, fd) holding it, in pid order.
        public var holders: [UInt64: [FDRef]] = [:]
        /// How many processes' descriptors could not be read (another user's, without root).
        public var unreadablePids: Int { unreadable.count }
        /// Which ones: the dashboard keeps this set across refreshes.
        public var unreadable: Set<Int32> = []
        public var scannedPids: Int = 0
    }

    /// Walks every process and returns the holders of `inodes`.
    /// With `stopWhenEachFound`, pids are walked in the order given, on one
    /// thread, and the walk ends as soon as every inode has a holder.
    public func find(_ inodes: Set<UInt64>, pids: [Int32]? = nil, workers: Int? = nil,
                     stopWhenEachFound: Bool = false) throws(PortKitError) -> Result {
        var result = Result()
        if inodes.isEmpty { return result }
        let procfd = try root.openDirectory()
        defer { try? procfd.close() }
        let all: [Int32]
        if let pids { all = pids } else { all = try root.pids() }
        result.scannedPids = all.count

        if stopWhenEachFound {
            var partial = Partial()
            var walked = 0
            while walked < all.count && partial.holders.count < inodes.count {
                walk(all[walked...walked], procfd: procfd, inodes: inodes, into: &partial)
                walked += 1
            }
            result.merge(partial)
            result.scannedPids = walked
            return result
        }
        let cpuCount = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        // Threads only pay off with enough processes to share out.
        let chunks = max(1, min(workers ?? cpuCount, all.count / 48))
        if chunks == 1 {
            var partial = Partial()
            walk(all[...], procfd: procfd, inodes: inodes, into: &partial)
            result.merge(partial)
        } else {
            // Interleaved, not contiguous: processes with many descriptors
            // tend to have neighbouring pids (a server and its workers), and
            // one thread should not get them all.
            let slices: [ArraySlice<Int32>] = (0..<chunks).map { i in
                ArraySlice(stride(from: i, to: all.count, by: chunks).map { all[$0] })
            }
            let partials = UnsafeMutableBufferPointer<Partial>.allocate(capacity: chunks)
            partials.initialize(repeating: Partial())
            defer { partials.deinitialize(); partials.deallocate() }
            let shared = SendableBuffer(pointer: partials)
            DispatchQueue.concurrentPerform(iterations: chunks) { i in
                walk(slices[i], procfd: procfd, inodes: inodes, into: &shared.pointer[i])
            }
            for p in partials { result.merge(p) }
        }
        for key in result.holders.keys { result.holders[key]!.sort { ($0.pid, $0.fd) < ($1.pid, $1.fd) } }
        return result
    }

    /// Re-reads one known link: is `ref` still the socket `inode`? One
    /// readlinkat, which is what lets the dashboard skip full walks.
    public func verify(_ ref: FDRef, inode: UInt64, procfd: FileDescriptor) -> Bool {
        var buf = [CChar](repeating: 0, count: 64)
        let path = ref.linkPath
        let read = buf.withUnsafeMutableBufferPointer { b in
            path.withCString { Syscalls.readLink(at: procfd, $0, into: b.baseAddress!, capacity: b.count) }
        }
        guard case .success(let n) = read, n > 0 else { return false }
        return buf.withUnsafeBufferPointer { p in
            p.withMemoryRebound(to: UInt8.self) { SocketOwners.socketInode(UnsafeBufferPointer(rebasing: $0[0..<n])) } } == inode
    }

    struct Partial {
        var holders: [UInt64: [FDRef]] = [:]
        var unreadable: [Int32] = []
    }

    /// Reads each /proc/PID/fd with getdents64 into one reused buffer and
    /// readlinkat on each entry relative to that directory's descriptor.
    /// A process whose fd directory lists nothing is looked at once more
    /// through its threads (`threads`): only then, so the usual walk costs
    /// nothing extra.
    private func walk(_ pids: ArraySlice<Int32>, procfd: FileDescriptor, inodes: Set<UInt64>, into out: inout Partial) {
        var buffers = WalkBuffers()
        defer { buffers.deallocate() }
        let path = UnsafeMutablePointer<CChar>.allocate(capacity: 32)
        defer { path.deallocate() }
        for pid in pids {
            // "PID/fd" relative to /proc, built without allocating.
            var len = 0
            var digits: (CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar, CChar) = (0,0,0,0,0,0,0,0,0,0,0,0)
            withUnsafeMutableBytes(of: &digits) { d in
                var v = Int(pid)
                var n = 0
                repeat { d[n] = UInt8(48 + v % 10); v /= 10; n += 1 } while v > 0
                while n > 0 { n -= 1; path[len] = CChar(bitPattern: d[n]); len += 1 }
            }
            path[len] = 47; path[len + 1] = 102; path[len + 2] = 100; path[len + 3] = 0  // "/fd"
            switch links(at: procfd, path, pid: pid, thread: nil, inodes: inodes, buffers: &buffers, into: &out) {
            case nil: out.unreadable.append(pid)
            case 0?: threads(of: pid, procfd: procfd, inodes: inodes, buffers: &buffers, into: &out)
            default: break
            }
        }
    }

    /// Reads the socket links of one fd directory (`path` relative to
    /// `procfd`) into `out`. Returns how many links it lists (0 also when
    /// it vanished: the process exited under us), nil when it may not be read.
    private func links(at procfd: FileDescriptor, _ path: UnsafePointer<CChar>, pid: Int32, thread: Int32?, inodes: Set<UInt64>,
                       buffers: inout WalkBuffers, into out: inout Partial) -> Int? {
        let dir: FileDescriptor
        switch Syscalls.openDirectory(at: procfd, path) {
        case .success(let d): dir = d
        case .failure(.permissionDenied), .failure(.notPermitted): return nil
        case .failure: return 0  // ENOENT/ESRCH: the process exited under us
        }
        defer { try? dir.close() }
        var count = 0
        let dents = buffers.dents, link = buffers.link
        while case .success(let n) = Syscalls.directoryEntries(dir, into: dents, capacity: WalkBuffers.dentsSize), n > 0 {
            var off = 0
            while off < n {
                // struct linux_dirent64: d_ino(0, 8) d_off(8, 8) d_reclen(16, 2) d_type(18, 1) d_name(19…).
                let rec = dents + off
                let reclen = Int(rec.loadUnaligned(fromByteOffset: 16, as: UInt16.self))
                let type = rec.load(fromByteOffset: 18, as: UInt8.self)
                off += reclen
                if type != UInt8(DT_LNK) { continue }  // "." and ".."
                count += 1
                let name = (rec + 19).assumingMemoryBound(to: CChar.self)
                // A socket link is "socket:[N]": at least 10 bytes.
                guard case .success(let r) = Syscalls.readLink(at: dir, name, into: link, capacity: 64), r >= 10 else { continue }
                let inode = link.withMemoryRebound(to: UInt8.self, capacity: r) {
                    SocketOwners.socketInode(UnsafeBufferPointer(start: $0, count: r))
                }
                guard inode != 0, inodes.contains(inode) else { continue }
                out.holders[inode, default: []].append(FDRef(pid: pid, fd: Int32(atoi(name)), thread: thread))
            }
        }
        return count
    }

    /// A process whose /proc/PID/fd is empty: its main thread may have
    /// exited while others run on, and the descriptors they share are then
    /// listed only under /proc/PID/task/TID/fd. The first other thread that
    /// lists any is read (threads share one table); a kernel thread or a
    /// plain zombie has no other thread, so this costs one directory read.
    private func threads(of pid: Int32, procfd: FileDescriptor, inodes: Set<UInt64>, buffers: inout WalkBuffers, into out: inout Partial) {
        let tasks: FileDescriptor
        guard case .success(let d) = "\(pid)/task".withCString({ Syscalls.openDirectory(at: procfd, $0) }) else { return }
        tasks = d
        var tids: [Int32] = []
        while case .success(let n) = Syscalls.directoryEntries(tasks, into: buffers.dents, capacity: WalkBuffers.dentsSize), n > 0 {
            var off = 0
            while off < n {
                let rec = buffers.dents + off
                off += Int(rec.loadUnaligned(fromByteOffset: 16, as: UInt16.self))
                let tid = atoi((rec + 19).assumingMemoryBound(to: CChar.self))
                if tid > 0 && tid != pid { tids.append(tid) }
            }
        }
        try? tasks.close()
        for tid in tids {
            let listed = "\(pid)/task/\(tid)/fd".withCString {
                links(at: procfd, $0, pid: pid, thread: tid, inodes: inodes, buffers: &buffers, into: &out)
            }
            if listed == nil { out.unreadable.append(pid); return }
            if listed! > 0 { return }
        }
    }

    /// "socket:[12345]" → 12345; anything else → 0.
    static func socketInode(_ link: UnsafeBufferPointer<UInt8>) -> UInt64 {
        // s o c k e t : [
        guard link.count >= 10, link[0] == 115, link[1] == 111, link[2] == 99, link[3] == 107,
              link[6] == 58, link[7] == 91, link[link.count - 1] == 93 else { return 0 }
        var v: UInt64 = 0
        for i in 8..<(link.count - 1) {
            let c = link[i]
            guard c >= 48 && c <= 57 else { return 0 }
            v = v &* 10 &+ UInt64(c - 48)
        }
        return v
    }
}

extension SocketOwners.Result {
    mutating func merge(_ p: SocketOwners.Partial) {
        unreadable.formUnion(p.unreadable)
        for (inode, refs) in p.holders { holders[inode, default: []].append(contentsOf: refs) }
    }
}

/// The walk's scratch space, allocated once per thread of the walk.
private struct WalkBuffers {
    static let dentsSize = 32 * 1024
    let dents = UnsafeMutableRawPointer.allocate(byteCount: dentsSize, alignment: 8)
    let link = UnsafeMutablePointer<CChar>.allocate(capacity: 64)

    func deallocate() { dents.deallocate(); link.deallocate() }
}

/// A buffer handed to the concurrent walkers: each writes only its own
/// slots (disjoint indices), so no two threads touch one element.
private struct SendableBuffer<T>: @unchecked Sendable {
    let pointer: UnsafeMutableBufferPointer<T>
}
