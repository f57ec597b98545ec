import SystemPackage
import Glibc

/// A file created whole, the first half of "write beside, then rename or
/// link": the state file's temporaries and `env --dotenv` both start here.
package enum NewFile {
    /// Creates `path` (never over an existing file, never through a link)
    /// with exactly `mode` (fchmod: the umask does not narrow or widen it),
    /// owned by `owner` when given, holding `bytes`, fsynced if `durably`.
    /// On failure nothing is left at `path` that this call created.
    package static func write(_ bytes: [UInt8], to path: String, mode: mode_t,
                              owner: (uid: uid_t, gid: gid_t)? = nil, durably: Bool = true) -> Result<Void, Errno> {
        let fd: FileDescriptor
        switch Syscalls.open(FilePath(path), .writeOnly, [.create, .exclusiveCreate, .noFollow],
                             permissions: FilePermissions(rawValue: mode)) {
        case .success(let f): fd = f
        case .failure(let e): return .failure(e)
        }
        fchmod(fd.rawValue, mode)
        if let owner { _ = fchown(fd.rawValue, owner.uid, owner.gid) }
        // closeAfter: close reports delayed write errors on some file
        // systems (NFS), so its error counts, after any of the writes'.
        let written = Syscalls.catching {
            try fd.closeAfter {
                try fd.writeAll(bytes)
                if durably { try Syscalls.sync(fd).get() }
            }
        }
        // An interrupted close(2) has closed the descriptor all the same
        // (Linux); writeAll and sync retry EINTR themselves.
        if case .failure(let e) = written, e != .interrupted {
            unlink(path)
            return .failure(e)
        }
        return .success(())
    }
}
