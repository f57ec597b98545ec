/// Where the state file lives: --state, else $PORTDASH_STATE, else
/// $XDG_STATE_HOME/portdash/leases.json (XDG Base Directory: the variable is
/// used only when it is an absolute path), else ~/.local/state/portdash/leases.json.
/// Never /tmp by default: the file outlives reboots and belongs to one user.
public enum StatePath {
    public static func resolve(explicit: String?, environment env: (String) -> String?) -> String {
        if let explicit, !explicit.isEmpty { return explicit }
        if let p = env("PORTDASH_STATE"), !p.isEmpty { return p }
        if let x = env("XDG_STATE_HOME"), x.hasPrefix("/") { return x + "/portdash/leases.json" }
        return homeDirectory(env) + "/.local/state/portdash/leases.json"
    }

    static func homeDirectory(_ env: (String) -> String?) -> String {
        if let h = env("HOME"), h.hasPrefix("/") { return h }
        var pwd = passwd()
        var result: UnsafeMutablePointer<passwd>? = nil
        var buffer = [CChar](repeating: 0, count: 4096)
        if getpwuid_r(geteuid(), &pwd, &buffer, buffer.count, &result) == 0, result != nil {
            return String(cString: pwd.pw_dir)
        }
        return "/"
    }
}

/// getenv as a function value.
public func processEnvironment(_ name: String) -> String? {
    guard let v = getenv(name) else { return nil }
    return String(cString: v)
}
