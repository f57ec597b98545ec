import SystemPackage
import PortKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Values as a shell reads them back unchanged: bare when only safe
/// characters, else in single quotes (a ' inside as '\'').
public enum ShellQuote {
    public static func quoted(_ value: String) -> String {
        let safe = !value.isEmpty && value.unicodeScalars.allSatisfy { u in
            (u >= "a" && u <= "z") || (u >= "A" && u <= "Z") || (u >= "0" && u <= "9") || "_./:@%+=,-".unicodeScalars.contains(u)
        }
        return safe ? value : "'" + value.replacingAll("'", with: "'\\''") + "'"
    }
}

/// A .env file as docker compose and the dotenv libraries read it:
/// NAME=value, double quotes around a value that needs them.
public enum DotEnv {
    public static func text(_ vars: [(name: String, value: String)]) -> String {
        vars.map { v in
            let plain = !v.value.isEmpty && v.value.unicodeScalars.allSatisfy { u in
                (u >= "a" && u <= "z") || (u >= "A" && u <= "Z") || (u >= "0" && u <= "9") || "_./:@%+,-".unicodeScalars.contains(u)
            }
            let value = plain ? v.value : "\"" + v.value.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"")
                .replacingAll("\n", with: "\\n").replacingAll("$", with: "\\$") + "\""
            return v.name + "=" + value + "\n"
        }.joined()
    }

    /// Replaces `path` whole (a temporary file beside it, then rename), so a
    /// reader never sees half a file. Only a regular file is replaced, with
    /// its mode and owner kept (a new one is 0600: values can be secrets);
    /// a symlink, device, FIFO or directory there is refused, never replaced.
    public static func write(_ vars: [(name: String, value: String)], to path: String) throws(PortKitError) {
        let existing = try regularFileOrNothing(path)
        let temp = path + ".portdash-tmp." + String(getpid())
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, existing.map { $0.st_mode & 0o7777 } ?? 0o600)
        guard fd >= 0 else { throw .cannotWriteFile(path: path, why: errnoText(errno)) }
        if let st = existing {
            fchmod(fd, st.st_mode & 0o7777)
            if geteuid() == 0 { _ = fchown(fd, st.st_uid, st.st_gid) }
        }
        let bytes = Array(text(vars).utf8)
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + off, $0.count - off) }
            if n <= 0 && errno != EINTR { break }
            if n > 0 { off += n }
        }
        let failed = off < bytes.count || fsync(fd) != 0
        let err = errno
        close(fd)
        if failed || rename(temp, path) != 0 {
            let why = errnoText(failed ? err : errno)
            unlink(temp)
            throw .cannotWriteFile(path: path, why: why)
        }
    }

    /// The file's stat if it is a regular file, nil if absent; anything else is refused.
    static func regularFileOrNothing(_ path: String) throws(PortKitError) -> stat? {
        var st = stat()
        guard lstat(path, &st) == 0 else {
            if errno == ENOENT { return nil }
            throw .cannotWriteFile(path: path, why: errnoText(errno))
        }
        switch st.st_mode & S_IFMT {
        case S_IFREG: return st
        case S_IFLNK: throw .cannotWriteFile(path: path, why: "it is a symbolic link, which would be replaced; give the file it points to")
        case S_IFDIR: throw .cannotWriteFile(path: path, why: "it is a directory; give a file such as \(path)/.env")
        default: throw .cannotWriteFile(path: path, why: "it is not a regular file (a device or a FIFO); give a regular file")
        }
    }
}
