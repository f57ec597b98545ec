/// A process's cgroup v2 path, from /proc/PID/cgroup (cgroups(7)): one
/// line per hierarchy, `ID:CONTROLLERS:PATH`; the unified (v2) hierarchy is
/// the line `0::PATH`. Hybrid hosts list their v1 hierarchies beside it.
public enum CgroupPath {
    public static func unified(in bytes: [UInt8]) -> String? {
        for line in bytes.split(separator: 10) where line.starts(with: [48, 58, 58]) {  // "0::"
            return String(decoding: line.dropFirst(3), as: UTF8.self)
        }
        return nil
    }

    /// Is `path` the group `group` or a group below it?
    public static func isWithin(_ path: String, _ group: String) -> Bool {
        path == group || path.hasPrefix(group.hasSuffix("/") ? group : group + "/")
    }
}
