import PortKit

extension TestSupport {
    /// Writes bytes to a file (creating it), for fixtures too big for a String literal.
    public static func writeBytes(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o600) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        precondition(fd >= 0, "open \(path) failed: \(errno)")
        defer { close(fd) }
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + off, $0.count - off) }
            precondition(n > 0, "write \(path) failed: \(errno)")
            off += n
        }
    }

    /// Device, inode, size and modification time: equal before and after
    /// means the file was neither replaced nor written.
    public static func fileIdentity(_ path: String) -> [Int]? {
        var st = stat()
        guard lstat(path, &st) == 0 else { return nil }
        return [Int(st.st_dev), Int(st.st_ino), Int(st.st_size), Int(st.st_mtim.tv_sec), Int(st.st_mtim.tv_nsec)]
    }
}
