import Glibc

/// Where the state file lives: --state, else $PORTDASH_STATE, else
/// $XDG_STATE_HOME/portdash/leases.json (XDG Base Directory: the variable is
/// used only when it is an absolute path), else ~/.local/state/portdash/leases.json.
/// Never /tmp by default: the file outlives reboots and belongs to one user.
///
/// An empty --state or PORTDASH_STATE is a mistake (a variable that expanded
/// to nothing), not a request for the default. A relative path is taken from
/// the current directory, as every command-line tool does, and made absolute
/// once here, so messages, the dashboard and `leases --json` show one path.
public enum StatePath {
    public static func resolve(explicit: String?, environment env: (String) -> String?,
                               currentDirectory cwd: () -> String? = StatePath.currentDirectory) throws(PortKitError) -> String {
        if let explicit { return try usable(explicit, from: "--state", cwd: cwd) }
        if let p = env("PORTDASH_STATE") { return try usable(p, from: "PORTDASH_STATE", cwd: cwd) }
        if let x = env("XDG_STATE_HOME"), x.hasPrefix("/") { return x + "/portdash/leases.json" }
        return homeDirectory(env) + "/.local/state/portdash/leases.json"
    }

    static func usable(_ p: String, from source: String, cwd: () -> String?) throws(PortKitError) -> String {
        if p.isEmpty {
            throw .invalidStatePath(source == "--state"
                ? "--state is empty; give the state file's path (e.g. --state ~/.local/state/portdash/leases.json), or leave --state out for the default"
                : "PORTDASH_STATE is set but empty; set it to the state file's path, or use the default: unset PORTDASH_STATE")
        }
        if p.hasSuffix("/") || p == "." || p == ".." || p.hasSuffix("/.") || p.hasSuffix("/..") {
            throw .invalidStatePath("\(source) \(p) names a directory; give a file in it, e.g. \(source == "--state" ? "--state " : "PORTDASH_STATE=")\(p.hasSuffix("/") ? p : p + "/")leases.json")
        }
        if p.hasPrefix("/") { return p }
        guard let dir = cwd() else {
            throw .invalidStatePath("\(source) \(p) is relative and the current directory cannot be read; give an absolute path")
        }
        var rel = Substring(p)
        while rel.hasPrefix("./") { rel = rel.dropFirst(2) }
        return (dir == "/" ? "" : dir) + "/" + rel
    }

    public static func homeDirectory(_ env: (String) -> String?) -> String {
        if let h = env("HOME"), h.hasPrefix("/") { return h }
        var pwd = passwd()
        var result: UnsafeMutablePointer<passwd>? = nil
        var buffer = [CChar](repeating: 0, count: 4096)
        if getpwuid_r(geteuid(), &pwd, &buffer, buffer.count, &result) == 0, result != nil {
            return String(cString: pwd.pw_dir)
        }
        return "/"
    }

    /// getcwd(3); nil when the directory was removed or is unreachable.
    public static func currentDirectory() -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getcwd(&buffer, buffer.count) != nil else { return nil }
        let dir = stringFromCBuffer(buffer)
        return dir.hasPrefix("/") ? dir : nil  // "(unreachable)/…" from another mount namespace
    }
}

/// getenv as a function value.
public func processEnvironment(_ name: String) -> String? {
    guard let v = getenv(name) else { return nil }
    return String(cString: v)
}
