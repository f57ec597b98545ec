import PortKit
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// Where a checkout's running `up` listens for `portdash restart` and
/// `portdash stop`: `$XDG_RUNTIME_DIR/portdash/<hash of the root>.sock`
/// (the runtime directory is the user's own, 0700, gone at logout), else
/// `/tmp/portdash-<uid>/…`, a 0700 directory of ours (refused otherwise).
/// However long the path, it is reached through the open directory
/// (ControlDirectory), never cut. Beside each socket, `<hash>.lock`: the
/// `up` that answers there holds flock(2) on it for its whole life, so a
/// socket file whose lock is free was left by an `up` that is gone.
public enum ControlPath {
    public static func directory(environment: (String) -> String? = { getenv($0).map { String(cString: $0) } }) -> String {
        if let run = environment("XDG_RUNTIME_DIR"), run.hasPrefix("/") { return run + "/portdash" }
        return "/tmp/portdash-\(getuid())"
    }

    /// The socket's full path, as messages name it.
    public static func socket(for root: String, in directory: String = directory()) -> String {
        directory + "/" + name(for: root) + ".sock"
    }

    /// `<hash of the root>`: the socket is this + ".sock", its lock this + ".lock".
    static func name(for root: String) -> String { hex(fnv1a(root)) }

    /// FNV-1a, 64 bits: a short stable name for a path.
    static func fnv1a(_ s: String) -> UInt64 {
        var h: UInt64 = 0xcbf29ce484222325
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100000001b3 }
        return h
    }

    static func hex(_ v: UInt64) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}
