/// Where the cgroup v2 hierarchy is mounted, from /proc/self/mountinfo
/// (proc(5)): `ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [TAGS…] - FSTYPE SOURCE SUPER`.
/// Usually /sys/fs/cgroup; /sys/fs/cgroup/unified on hybrid hosts.
public enum MountInfo {
    public static func cgroup2MountPoint(in bytes: [UInt8]) -> String? {
        for line in bytes.split(separator: 10) {
            let fields = line.split(separator: 32)
            guard let dash = fields.firstIndex(of: [45]), dash + 1 < fields.count, fields.count > 4 else { continue }
            if fields[dash + 1].elementsEqual("cgroup2".utf8) {
                return unescaped(String(decoding: fields[4], as: UTF8.self))
            }
        }
        return nil
    }

    /// Mount points escape space, tab, newline and backslash as \040 etc.
    static func unescaped(_ s: String) -> String {
        guard s.contains("\\") else { return s }
        var out: [UInt8] = []
        var bytes = Array(s.utf8)[...]
        while let b = bytes.popFirst() {
            if b == 92, bytes.count >= 3, let v = UInt8(String(decoding: bytes.prefix(3), as: UTF8.self), radix: 8) {
                out.append(v); bytes = bytes.dropFirst(3)
            } else { out.append(b) }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
