#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The other executables installed beside this one (`portdash-serve`,
/// `portdash-toml`), found through /proc/self/exe so that a symlink to
/// portdash on PATH still finds them.
public enum SiblingExecutable {
    /// `name` in the directory of this executable (symlinks resolved).
    public static func path(_ name: String) -> String {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        let me = n > 0 ? String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : CommandLine.arguments[0]
        let dir = me.lastIndex(of: "/").map { String(me[..<$0]) } ?? "."
        return dir + "/" + name
    }

    /// Replaces this process with `path` and `arguments`. Returns only when
    /// that failed (errno says why).
    public static func exec(_ path: String, _ arguments: [String]) {
        var argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) }
        argv.append(nil)
        execv(path, argv)
    }
}

/// The lean `portdash` has no TOML reader: when one is needed, the whole
/// invocation goes to this twin, which has (set by the lean executable's
/// main; nil in the twin itself and in tests).
public enum TOMLTwin {
    public nonisolated(unsafe) static var executable: String? = nil

    /// Runs the same command line in the twin, if it is installed; returns
    /// only if it is not.
    static func handOver() {
        guard let name = executable else { return }
        let path = SiblingExecutable.path(name)
        guard access(path, X_OK) == 0 else { return }
        SiblingExecutable.exec(path, Array(CommandLine.arguments.dropFirst()))
    }
}
