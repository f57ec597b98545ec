import SystemPackage
import PortKit
import Glibc

/// A .env file as docker compose and the dotenv libraries read it:
/// NAME=value, double quotes around a value that needs them.
public enum DotEnv {
    public static func text(_ vars: [(name: String, value: String)]) -> String {
        vars.map { v in
            let value = ShellQuote.isPlain(v.value) ? v.value : "\"" + v.value.replacingAll("\\", with: "\\\\")
                .replacingAll("\"", with: "\\\"").replacingAll("\n", with: "\\n").replacingAll("$", with: "\\$") + "\""
            return v.name + "=" + value + "\n"
        }.joined()
    }

    /// Replaces `path` whole (a temporary file beside it, then rename), so a
    /// reader never sees half a file. Only a regular file is replaced, with
    /// its mode and owner kept (a new one is 0600: values can be secrets);
    /// a symlink, device, FIFO or directory there is refused, never replaced.
    public static func write(_ vars: [(name: String, value: String)], to path: String) throws(ProjectError) {
        let existing = try regularFileOrNothing(path)
        let temp = path + ".portdash-tmp." + String(getpid())
        let owner = existing.flatMap { st in geteuid() == 0 ? (uid: st.userID.rawValue, gid: st.groupID.rawValue) : nil }
        let created = NewFile.write(Array(text(vars).utf8), to: temp, mode: existing.map { mode_t($0.permissions.rawValue & 0o7777) } ?? 0o600, owner: owner)
        if case .failure(let e) = created { throw .cannotWriteFile(path: path, why: errnoText(e)) }
        if rename(temp, path) != 0 {
            let why = errnoText(errno)
            unlink(temp)
            throw .cannotWriteFile(path: path, why: why)
        }
    }

    /// The file's stat if it is a regular file, nil if absent; anything else is refused.
    static func regularFileOrNothing(_ path: String) throws(ProjectError) -> Stat? {
        let st: Stat
        do { st = try Stat(FilePath(path), followTargetSymlink: false) } catch {
            if error == .noSuchFileOrDirectory { return nil }
            throw .cannotWriteFile(path: path, why: errnoText(error))
        }
        switch st.type {
        case .regular: return st
        case .symbolicLink: throw .cannotWriteFile(path: path, why: "it is a symbolic link, which would be replaced; give the file it points to")
        case .directory: throw .cannotWriteFile(path: path, why: "it is a directory; give a file such as \(path)/.env")
        default: throw .cannotWriteFile(path: path, why: "it is not a regular file (a device or a FIFO); give a regular file")
        }
    }
}
