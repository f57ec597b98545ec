import PortKit
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// The directory of the control sockets, held open: every socket in it is
/// bound and reached as `/proc/self/fd/N/<name>`, so its address is short
/// (sun_path holds 107 bytes) however long `$XDG_RUNTIME_DIR` is, and it is
/// never cut into another checkout's name. The alternative, a second short
/// directory under /tmp, would give each checkout two places to look and a
/// name other users could take first; this one needs only /proc, which
/// portdash needs anyway.
///
/// The checks are made on the open descriptor itself (fstat), so the
/// directory checked is the one used: ours, a directory, closed to others
/// (like OpenSSH's StrictModes).
struct ControlDirectory {
    let path: String
    let fd: FileDescriptor

    /// Opens `path` (making it 0700 first when `create`); nil and why when it is missing or not safe to use.
    static func open(_ path: String, create: Bool) -> Result<ControlDirectory, ControlError> {
        if create && mkdir(path, 0o700) != 0 && errno != EEXIST {
            return .failure(.unusableDirectory("cannot create \(path): \(errnoText(Errno(rawValue: errno)))"))
        }
        let fd: FileDescriptor
        switch Syscalls.open(FilePath(path), .readOnly, [.directory, .noFollow]) {
        case .success(let f): fd = f
        case .failure(.noSuchFileOrDirectory) where !create: return .failure(.noDirectory(path))
        case .failure(let e): return .failure(.unusableDirectory("cannot open \(path): \(errnoText(e))"))
        }
        if let why = problem(fd, path) {
            try? fd.close()
            return .failure(.unusableDirectory(why))
        }
        return .success(ControlDirectory(path: path, fd: fd))
    }

    static func problem(_ fd: FileDescriptor, _ path: String) -> String? {
        guard let st = try? fd.stat() else { return "cannot read \(path)" }
        guard st.type == .directory else { return "\(path) is not a directory" }
        guard st.userID.rawValue == getuid() else { return "\(path) belongs to uid \(st.userID.rawValue), not to us" }
        guard st.permissions.rawValue & 0o077 == 0 else { return "\(path) is open to others (chmod 700 \(path))" }
        return nil
    }

    /// The address of `name` in this directory, through our descriptor.
    func address(_ name: String) -> String { "/proc/self/fd/\(fd.rawValue)/\(name)" }

    func close() { try? fd.close() }
}
