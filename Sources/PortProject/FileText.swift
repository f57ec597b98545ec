import PortKit
import SystemPackage
import Glibc

/// A small text file (a project file, the user's config), read whole.
enum FileText {
    /// Larger is not a project file anyone wrote by hand.
    static let limit = 1 << 20

    enum Outcome {
        case text(String)
        case absent
    }

    /// The file as UTF-8 text; `.absent` when there is no such file, or
    /// (`deniedIsAbsent`) one we may not read: a user config under a $HOME
    /// that is not ours (a command run as another user) is not our config.
    ///
    /// With `trusted`, the file must be one whose commands we may run (a
    /// project file, the user's config; like OpenSSH's StrictModes and git's
    /// safe.directory): a regular file, ours or root's, writable by nobody
    /// else. Another user's portdash.toml found on the way up is refused.
    static func read(_ path: String, deniedIsAbsent: Bool = false, trusted: Bool = false) throws(ProjectError) -> Outcome {
        // O_NONBLOCK: a FIFO named portdash.toml must not hang us in open().
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        if fd < 0 {
            if errno == ENOENT || errno == ENOTDIR || (deniedIsAbsent && errno == EACCES) { return .absent }
            throw .badProjectFile(path: path, line: nil, problem: "cannot be read: \(errnoText(errno))")
        }
        defer { close(fd) }
        if trusted { try checkTrusted(fd, path) }
        let bytes: [UInt8]
        do { bytes = try Syscalls.readWhole(FileDescriptor(rawValue: fd), limit: limit, expected: 65536) } catch {
            throw .badProjectFile(path: path, line: nil, problem: error.description)
        }
        if let nul = bytes.firstIndex(of: 0) {
            let line = bytes[..<nul].reduce(1) { $1 == 10 ? $0 + 1 : $0 }
            throw .badProjectFile(path: path, line: line, problem: "holds a NUL byte, which no command, name or value can carry; remove it")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .badProjectFile(path: path, line: nil, problem: "is not UTF-8 text")
        }
        return .text(text)
    }

    /// A regular file, owned by us or root, not writable by group or others.
    static func checkTrusted(_ fd: Int32, _ path: String) throws(ProjectError) {
        let st: Stat
        do { st = try FileDescriptor(rawValue: fd).stat() } catch {
            throw .badProjectFile(path: path, line: nil, problem: "cannot be read: \(errnoText(error))")
        }
        guard st.type == .regular else {
            throw .untrustedFile(path: path, why: "is not a regular file")
        }
        let owner = st.userID.rawValue
        if owner != geteuid() && owner != 0 {
            throw .untrustedFile(path: path, why: "belongs to uid \(owner), not to you; portdash runs no other user's commands (chown it, or remove it)")
        }
        if !st.permissions.isDisjoint(with: [.groupWrite, .otherWrite]) {
            throw .untrustedFile(path: path, why: "can be written by others (mode \(String(st.permissions.rawValue & 0o777, radix: 8))); fix it with: chmod go-w \(path)")
        }
    }
}
