import SystemPackage
import Glibc

/// `portdash hosts --write`: the portdash block written into a hosts file
/// without losing a byte of the rest (docs/names.md).
///
/// - The file is read whole (at most `sizeLimit`: ad-blocking hosts files
///   run to tens of MiB) or refused; nothing is written then.
/// - The block is replaced on bytes (`HostsBlock.replacing`), so lines in
///   another encoding stay as they were.
/// - A symlink (/etc/hosts → /run/…/hosts) is followed: its target is
///   rewritten and the link stays a link. The new file is written beside the
///   target (same directory, so rename(2) is atomic) with the target's mode
///   and owner, fsynced, then renamed over it.
/// - A target that is a mount point (a container's bind-mounted /etc/hosts,
///   where rename gives EBUSY) is rewritten in place, as Docker and podman
///   write it themselves: open without O_TRUNC, write, ftruncate, fsync.
///   Refusing would leave no way to add the names there at all.
/// - Just before the rename or the in-place write, the file is read again
///   and must be the same file with the same bytes, so an edit made
///   meanwhile (another tool, a container runtime) is never overwritten.
public struct HostsFile: Sendable {
    /// Larger is refused; the biggest published block lists are ~30 MiB.
    public static let sizeLimit = 64 << 20

    public enum Outcome: Equatable, Sendable {
        case upToDate
        /// `target`: the file written (with `throughLink`, the symlink's
        /// target); `inPlace`: rewritten in place (a mount point).
        case written(target: String, throughLink: Bool, inPlace: Bool)
    }

    public let path: String
    public let sizeLimit: Int

    public init(path: String, sizeLimit: Int = HostsFile.sizeLimit) {
        self.path = path
        self.sizeLimit = sizeLimit
    }

    /// Puts `block` into the file.
    public func update(block: String) throws(HostsFileError) -> Outcome {
        let target = try resolved()
        let (original, st) = try read(target)
        guard let updated = HostsBlock.replacing(in: original, with: block) else { throw .noEndMarker(path: path) }
        if updated == original { return .upToDate }
        let directory = FilePath(target).removingLastComponent().string
        let temp = directory + "/." + (FilePath(target).lastComponent?.string ?? "hosts") + ".portdash-" + String(getpid())
        let owner = (uid: st.userID.rawValue, gid: st.groupID.rawValue)
        if case .failure(let e) = NewFile.write(updated, to: temp, mode: mode_t(st.permissions.rawValue), owner: owner) {
            throw .cannotWrite(path: target, errno: e)
        }
        defer { unlink(temp) }
        try unchanged(target, since: original, st)
        switch Syscalls.rename(temp, to: target) {
        case .success:
            Syscalls.syncDirectory(directory)
            return .written(target: target, throughLink: isLink, inPlace: false)
        case .failure(.resourceBusy):
            try rewriteInPlace(target, updated, original: original, st)
            return .written(target: target, throughLink: isLink, inPlace: true)
        case .failure(let e):
            throw .cannotReplace(path: target, errno: e)
        }
    }

    var isLink: Bool { (try? Stat(FilePath(path), followTargetSymlink: false))?.type == .symbolicLink }

    /// The file the path names, symlinks followed (a relative link, a chain).
    func resolved() throws(HostsFileError) -> String {
        switch Syscalls.resolvedPath(path) {
        case .success(let p): return p
        case .failure(let e): throw .cannotRead(path: path, why: errnoText(e))
        }
    }

    /// The whole file and its stat; a regular file only.
    func read(_ target: String) throws(HostsFileError) -> ([UInt8], Stat) {
        let fd: FileDescriptor
        switch Syscalls.open(FilePath(target), .readOnly, .nonBlocking) {  // a FIFO must not hang us
        case .success(let f): fd = f
        case .failure(let e): throw .cannotRead(path: target, why: errnoText(e))
        }
        defer { try? fd.close() }
        let st: Stat
        do { st = try fd.stat() } catch { throw .cannotRead(path: target, why: errnoText(error)) }
        guard st.type == .regular else { throw .notRegularFile(path: target) }
        do {
            return (try Syscalls.readWhole(fd, limit: sizeLimit, expected: Int(st.size) + 1), st)
        } catch {
            switch error {
            case .tooLarge: throw .tooLarge(path: target, why: error.description)
            case .system(let e): throw .cannotRead(path: target, why: errnoText(e))
            }
        }
    }

    /// The file at `target` is still the one read (device and inode) with the same bytes.
    func unchanged(_ target: String, since original: [UInt8], _ st: Stat) throws(HostsFileError) {
        guard let (now, nowStat) = try? read(target), now == original, nowStat.deviceID == st.deviceID, nowStat.inode == st.inode else {
            throw .changedMeanwhile(path: target)
        }
    }

    /// open(O_WRONLY) without truncating, check it is still the file read,
    /// write from offset 0, cut to the new length, fsync. If a write fails
    /// part way, the original bytes are put back the same way.
    func rewriteInPlace(_ target: String, _ bytes: [UInt8], original: [UInt8], _ st: Stat) throws(HostsFileError) {
        let fd: FileDescriptor
        switch Syscalls.open(FilePath(target), .writeOnly, .noFollow) {
        case .success(let f): fd = f
        case .failure(let e): throw .cannotWrite(path: target, errno: e)
        }
        defer { try? fd.close() }
        guard let w = try? fd.stat(), w.deviceID == st.deviceID, w.inode == st.inode else { throw .changedMeanwhile(path: target) }
        try unchanged(target, since: original, st)
        func put(_ content: [UInt8]) -> Errno? {
            do {
                try fd.writeAll(toAbsoluteOffset: 0, content)
                try fd.resize(to: Int64(content.count))
                try Syscalls.sync(fd).get()
                return nil
            } catch {
                return error as? Errno ?? .ioError
            }
        }
        guard let e = put(bytes) else { return }
        throw .inPlaceWriteFailed(path: target, errno: e, restored: put(original) == nil)
    }
}
