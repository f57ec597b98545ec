import SystemPackage
import Glibc

/// A network namespace other than ours: its inode (what `ls -l
/// /proc/PID/ns/net` shows as net:[N]) and its `ip netns` name, if any.
public struct NetNamespace: Sendable, Equatable, Hashable {
    public let inode: UInt64
    public let name: String?
    public init(inode: UInt64, name: String?) { self.inode = inode; self.name = name }
}

/// Listeners in other network namespaces (containers, `ip netns`, pods):
/// they hold no port of this host, but they are what a developer looks for
/// when "the server runs but I can't reach it". /proc/PID/net/tcp shows the
/// table of PID's namespace, so one process per distinct /proc/PID/ns/net
/// is read.
///
/// Each pid's namespace is read once and remembered (a process rarely
/// changes namespace), so a refresh reads links only for new pids.
/// @unchecked: the cache is unlocked; one refresh at a time uses it (its
/// Refresher's, on one queue).
public final class NetNamespaces: @unchecked Sendable {
    let root: ProcRoot
    /// Where `ip netns add NAME` bind-mounts named namespaces.
    let namedDirectory: String
    private var known: [Int32: UInt64] = [:]

    public init(root: ProcRoot = .system, namedDirectory: String = "/run/netns") {
        self.root = root; self.namedDirectory = namedDirectory
    }

    /// Every LISTEN socket of every other namespace, marked with it.
    public func listeners() -> [TCPSocket] {
        guard let own = namespaceInode(of: "self") else { return [] }
        let names = namedNamespaces()
        var out: [TCPSocket] = []
        for (inode, pid) in oneProcessPerNamespace() where inode != own {
            let ns = NetNamespace(inode: inode, name: names[inode])
            for (file, family) in [("net/tcp", AddressFamily.ipv4), ("net/tcp6", .ipv6)] {
                // A process that exits mid-walk, or a file we may not read: skipped, not an error.
                guard case .success(let bytes) = root.read("\(pid)/\(file)"),
                      let rows = try? NetTCPTable.parse(bytes, family: family, file: file) else { continue }
                for var s in NetTCPTable.unique(rows) where s.state == .listen {
                    s.netns = ns
                    out.append(s)
                }
            }
        }
        return out
    }

    /// inode → one pid in that namespace (the lowest, so the choice is stable).
    func oneProcessPerNamespace() -> [(UInt64, Int32)] {
        let pids = (try? root.pids()) ?? []
        var now: [Int32: UInt64] = [:]
        for pid in pids {
            if let inode = known[pid] ?? namespaceInode(of: String(pid)) { now[pid] = inode }
        }
        known = now
        var first: [UInt64: Int32] = [:]
        for (pid, inode) in now where first[inode].map({ pid < $0 }) ?? true { first[inode] = pid }
        return first.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// The N of "net:[N]", the link /proc/PID/ns/net points to.
    func namespaceInode(of pid: String) -> UInt64? {
        var buf = [CChar](repeating: 0, count: 64)
        let n = readlink(root.path + "/" + pid + "/ns/net", &buf, buf.count - 1)
        guard n > 0 else { return nil }
        let text = stringFromCBuffer(Array(buf[0..<n]) + [0])
        guard text.hasPrefix("net:["), text.hasSuffix("]") else { return nil }
        return UInt64(text.dropFirst(5).dropLast())
    }

    /// Named namespaces: each file in /run/netns is a bind mount of one, so
    /// its inode is the namespace's.
    func namedNamespaces() -> [UInt64: String] {
        guard let dir = opendir(namedDirectory) else { return [:] }
        defer { closedir(dir) }
        var out: [UInt64: String] = [:]
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != ".", name != "..", let st = try? Stat(FilePath(namedDirectory + "/" + name)) { out[UInt64(st.inode.rawValue)] = name }
        }
        return out
    }
}
