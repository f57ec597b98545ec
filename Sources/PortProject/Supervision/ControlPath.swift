import PortKit
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// Where a checkout's running `up` listens for `portdash restart` and
/// `portdash stop`: `$XDG_RUNTIME_DIR/portdash/<hash of the root>.sock`
/// (the runtime directory is the user's own, 0700, gone at logout), else
/// `/tmp/portdash-<uid>/…`, a 0700 directory of ours (refused otherwise).
public enum ControlPath {
    public static func directory(environment: (String) -> String? = { getenv($0).map { String(cString: $0) } }) -> String {
        if let run = environment("XDG_RUNTIME_DIR"), run.hasPrefix("/") { return run + "/portdash" }
        return "/tmp/portdash-\(getuid())"
    }

    public static func socket(for root: String, in directory: String = directory()) -> String {
        directory + "/" + hex(fnv1a(root)) + ".sock"
    }

    /// Makes the directory (0700) if needed; nil when it is usable, else why not.
    public static func prepare(_ directory: String) -> String? {
        if mkdir(directory, 0o700) != 0 && errno != EEXIST { return "cannot create \(directory): \(errnoText(Errno(rawValue: errno)))" }
        guard let st = try? Stat(FilePath(directory), followTargetSymlink: false) else { return "cannot read \(directory)" }
        guard st.type == .directory else { return "\(directory) is not a directory" }
        guard st.userID.rawValue == getuid() else { return "\(directory) belongs to uid \(st.userID), not to us" }
        guard st.permissions.rawValue & 0o077 == 0 else { return "\(directory) is open to others (chmod 700 \(directory))" }
        return nil
    }

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
