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
    /// reader never sees half a file.
    public static func write(_ vars: [(name: String, value: String)], to path: String) throws(PortKitError) {
        let temp = path + ".portdash-tmp." + String(getpid())
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard fd >= 0 else { throw .system(call: "writing \(path)", errno: Errno(rawValue: errno)) }
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
            unlink(temp)
            throw .system(call: "writing \(path)", errno: Errno(rawValue: failed ? err : errno))
        }
    }
}
