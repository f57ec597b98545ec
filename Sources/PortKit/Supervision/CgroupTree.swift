import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// The cgroup v2 hierarchy (cgroups(7), the kernel's cgroup-v2.rst): a
/// group is a directory; `cgroup.procs` lists and takes its members,
/// `cgroup.events` says `populated 0|1` for it and everything below,
/// `cgroup.kill` (Linux 5.14) SIGKILLs every member at once — a fork storm
/// included, since no process can leave or fork out of the group while the
/// kernel walks it. No controller is needed for any of this.
public struct CgroupTree: Sendable, Equatable {
    /// The mount point, e.g. /sys/fs/cgroup.
    public let mount: String

    public init(mount: String) { self.mount = mount }

    /// This machine's, found once.
    public static let shared: CgroupTree? = system()

    /// The hierarchy of this machine, when there is one.
    public static func system(proc: ProcRoot = .system) -> CgroupTree? {
        guard case .success(let bytes) = proc.read("self/mountinfo"), let m = MountInfo.cgroup2MountPoint(in: bytes) else { return nil }
        return CgroupTree(mount: m)
    }

    /// The file system path of a group ("/portdash-up-1-2/web").
    public func directory(_ group: String) -> FilePath { FilePath(mount).appending(String(group.drop { $0 == "/" })) }

    /// The group a process is in; nil when it is gone (or not in v2).
    public func group(of pid: Int32, proc: ProcRoot = .system) -> String? {
        guard case .success(let bytes) = proc.read("\(pid)/cgroup") else { return nil }
        return CgroupPath.unified(in: bytes)
    }

    /// Does the group (or one below it) still hold a process? A group that
    /// is gone holds none.
    public func isPopulated(_ group: String) -> Bool {
        guard case .success(let bytes) = Syscalls.readWholeFile(directory(group).appending("cgroup.events"), limit: 4096) else { return false }
        return bytes.split(separator: 10).contains { $0.elementsEqual("populated 1".utf8) }
    }

    /// Its member processes (not those of groups below it).
    public func members(_ group: String) -> [Int32] {
        guard case .success(let bytes) = Syscalls.readWholeFile(directory(group).appending("cgroup.procs")) else { return [] }
        return bytes.split(separator: 10).compactMap { Int32(String(decoding: $0, as: UTF8.self)) }
    }

    /// Makes the group (its parent must exist).
    public func create(_ group: String) -> Result<Void, Errno> {
        Syscalls.retryingInterrupts { mkdir(directory(group).string, 0o755) }.map { _ in () }
    }

    /// `cgroup.procs`, open for writing: a child writes "0" to it to join.
    public func openProcs(_ group: String) -> Result<FileDescriptor, Errno> {
        Syscalls.open(directory(group).appending("cgroup.procs"), .writeOnly, [.closeOnExec])
    }

    /// Moves a process into the group.
    public func move(_ pid: Int32, to group: String) -> Result<Void, Errno> {
        write(Array("\(pid)".utf8), to: directory(group).appending("cgroup.procs"))
    }

    /// SIGKILL to every process of the group and its subgroups, at once.
    public func kill(_ group: String) -> Result<Void, Errno> {
        write([49], to: directory(group).appending("cgroup.kill"))
    }

    /// Can this kernel kill a group at once? (cgroup.kill came in Linux
    /// 5.14; the root group has none, so the release is asked.)
    public var canKill: Bool { CgroupTree.kernelAtLeast(5, 14) }

    static func kernelAtLeast(_ major: Int, _ minor: Int) -> Bool {
        var u = utsname()
        guard uname(&u) == 0 else { return false }
        let release = withUnsafeBytes(of: u.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let parts = release.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        guard parts.count == 2 else { return false }
        return (parts[0], parts[1]) >= (major, minor)
    }

    /// Removes an empty group (subgroups first). Gone already is fine.
    @discardableResult
    public func remove(_ group: String) -> Result<Void, Errno> {
        for sub in subgroups(group) { remove(group + "/" + sub) }
        switch Syscalls.retryingInterrupts({ rmdir(directory(group).string) }) {
        case .success, .failure(.noSuchFileOrDirectory): return .success(())
        case .failure(let e): return .failure(e)
        }
    }

    /// The names of the groups directly below.
    public func subgroups(_ group: String) -> [String] {
        guard let dir = opendir(directory(group).string) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            guard entry.pointee.d_type == UInt8(DT_DIR) else { continue }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Our own group, from /proc/self/cgroup.
    public static func ownGroup(proc: ProcRoot = .system) -> String? {
        guard case .success(let bytes) = proc.read("self/cgroup") else { return nil }
        return CgroupPath.unified(in: bytes)
    }

    private func write(_ bytes: [UInt8], to path: FilePath) -> Result<Void, Errno> {
        Syscalls.open(path, .writeOnly, [.closeOnExec]).flatMap { fd in
            defer { try? fd.close() }
            return Syscalls.catching { _ = try fd.writeAll(bytes) }
        }
    }
}
