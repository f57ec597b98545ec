import Testing
import PortKitTestSupport
import PortKit
import Glibc

/// `portdash hosts --write` never loses a byte of the hosts file: large
/// files are read whole or refused, bytes outside the block are kept as
/// they were (UTF-8 or not), a symlink is written through, a bind-mounted
/// file (a container's /etc/hosts) is rewritten in place.
@Suite("portdash hosts --write keeps every other byte (the binary)", .blocking)
struct HostsWriteTests {
    let range = TestSupport.freeRange(count: 2)
    let dir = TestSupport.temporaryDirectory("portdash-hostsw")

    func portdash(_ args: [String]) -> (status: Int32, stdout: String, stderr: String) {
        TestSupport.runCommand([TestSupport.portdashBinary] + args + ["--range", "\(range.first)-\(range.last)", "--state", dir + "/leases.json"])
    }

    /// Reserves one name; the block `portdash hosts` prints for it.
    func block() throws -> [UInt8] {
        #expect(portdash(["reserve", String(range.first), "db"]).status == 0)
        let printed = portdash(["hosts"])
        try #require(printed.status == 0 && printed.stdout.contains("db.localhost"), "\(printed.stderr)")
        return Array(printed.stdout.utf8)
    }

    /// About `size` bytes of ad-blocking lines, with Latin-1 and broken UTF-8 bytes in comments.
    static func lines(_ size: Int, tag: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(size + 100)
        var i = 0
        while out.count < size {
            out += Array("0.0.0.0 ads\(i).\(tag).example".utf8)
            if i % 97 == 0 { out += [0x20, 0x23, 0x20, 0xE9, 0x74, 0xE9, 0xFF, 0xC3] }  // "# été" in Latin-1, junk
            out += i % 1013 == 0 ? [0x0D, 0x0A] : [0x0A]
            i += 1
        }
        return out
    }

    func info(_ path: String, follow: Bool = true) -> stat {
        var st = Glibc.stat()
        _ = fstatat(AT_FDCWD, path, &st, follow ? 0 : AT_SYMLINK_NOFOLLOW)
        return st
    }

    /// No `.NAME.portdash-PID` file left beside the hosts file.
    func noTemporaries(in directory: String) -> Bool {
        let r = TestSupport.runCommand(["/bin/ls", "-A", directory])
        return !r.stdout.contains(".portdash-")
    }

    @Test("a 5 MiB hosts file with bytes that are not UTF-8: every byte outside the block is kept, the old block replaced")
    func largeFile() throws {
        defer { TestSupport.removeTree(dir) }
        let newBlock = try block()
        let before = Self.lines(3 << 20, tag: "before"), after = Self.lines(2 << 20, tag: "after") + Array("0.0.0.0 last.example".utf8)
        let old = Array("# BEGIN portdash (portdash hosts --write keeps this block)\n127.0.0.1\told.localhost\n# END portdash\n".utf8)
        let file = dir + "/hosts"
        TestSupport.writeBytes(file, before + old + after, mode: 0o644)
        let r = portdash(["hosts", "--write", "--file", file])
        #expect(r.status == 0 && r.stderr.contains("wrote 2 names"), "\(r.stderr)")
        let now = try #require(TestSupport.readFile(file))
        #expect(now.count == before.count + newBlock.count + after.count)
        let same = now == before + newBlock + after  // a Bool: a failed == on 5 MiB arrays would diff them for hours
        #expect(same, "the file differs outside the block")
        #expect(portdash(["hosts", "--write", "--file", file]).stderr.contains("is up to date"))
        // --remove takes the block out: the file is what it was without one, byte for byte.
        let removed = portdash(["hosts", "--remove", "--file", file])
        #expect(removed.status == 0 && removed.stderr.contains("took portdash's block out of"), "\(removed.stderr)")
        let without = try #require(TestSupport.readFile(file))
        let back = without == before + after
        #expect(back, "the file differs from the one without a block")
        #expect(portdash(["hosts", "--remove", "--file", file]).stderr.contains("has no portdash block"))
        #expect(noTemporaries(in: dir))
    }

    @Test("a hosts file over the size limit (64 MiB): exit 65 naming its size and the limit, the file unchanged")
    func overLimit() throws {
        defer { TestSupport.removeTree(dir) }
        _ = try block()
        let file = dir + "/hosts"
        let head = Array("127.0.0.1 localhost\n".utf8)
        TestSupport.writeBytes(file, head, mode: 0o644)
        let size = HostsFile.sizeLimit + 1
        #expect(truncate(file, off_t(size)) == 0)  // sparse: no 64 MiB written to disk
        let was = TestSupport.fileIdentity(file)
        let r = portdash(["hosts", "--write", "--file", file])
        #expect(r.status == 65, "\(r.stderr)")
        #expect(r.stderr.contains("\(size) bytes, more than the 64 MiB") && r.stderr.contains("nothing was written"), "\(r.stderr)")
        #expect(TestSupport.fileIdentity(file) == was, "the file was written or replaced")
        let fd = open(file, O_RDONLY)
        var first = [UInt8](repeating: 0, count: head.count)
        #expect(read(fd, &first, first.count) == head.count && first == head)
        close(fd)
        #expect(noTemporaries(in: dir))
    }

    @Test("a symlinked hosts file stays a link: its target is rewritten, with its mode and owner")
    func throughSymlink() throws {
        defer { TestSupport.removeTree(dir) }
        let newBlock = try block()
        mkdir(dir + "/etc", 0o755)
        mkdir(dir + "/run", 0o755)
        let target = dir + "/run/hosts"
        let original = Array("127.0.0.1 localhost\n\u{00E9}\n".utf8) + [0xFF, 0x0A]
        TestSupport.writeBytes(target, original, mode: 0o640)
        chmod(target, 0o640)
        if geteuid() == 0 { chown(target, 65534, 65534) }
        #expect(Glibc.symlink("../run/hosts", dir + "/etc/hosts") == 0)
        let r = portdash(["hosts", "--write", "--file", dir + "/etc/hosts"])
        #expect(r.status == 0 && r.stderr.contains("through the link"), "\(r.stderr)")
        let link = info(dir + "/etc/hosts", follow: false)
        #expect(link.st_mode & S_IFMT == S_IFLNK, "the link was replaced by a file")
        var buf = [CChar](repeating: 0, count: 256)
        let n = readlink(dir + "/etc/hosts", &buf, buf.count)
        #expect(n > 0 && String(decoding: buf[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) == "../run/hosts")
        #expect(TestSupport.readFile(target) == original + newBlock)
        let st = info(target)
        #expect(st.st_mode & 0o7777 == 0o640)
        if geteuid() == 0 { #expect(st.st_uid == 65534 && st.st_gid == 65534) }
        #expect(noTemporaries(in: dir + "/etc") && noTemporaries(in: dir + "/run"))
    }

    @Test("a bind-mounted hosts file (rename gives EBUSY, as in a container) is rewritten in place: same inode, every other byte kept",
          .enabled(if: geteuid() == 0, "needs root for unshare -m and mount --bind (CI runs as root)"))
    func bindMounted() throws {
        defer { TestSupport.removeTree(dir) }
        let newBlock = try block()
        let source = dir + "/container-hosts", mountPoint = dir + "/hosts"
        let original = Self.lines(64 << 10, tag: "c")
        TestSupport.writeBytes(source, original, mode: 0o644)
        TestSupport.writeBytes(mountPoint, [], mode: 0o644)
        let inode = info(source).st_ino
        // A mount namespace of its own: the bind mount ends with the shell and is never seen outside.
        let script = "mount --bind \"$1\" \"$2\" || exit 99; exec \"$3\" hosts --write --file \"$2\" --range \"$4\" --state \"$5\""
        let r = TestSupport.runCommand(["/usr/bin/unshare", "-m", "--propagation", "private", "/bin/sh", "-c", script, "sh",
                                        source, mountPoint, TestSupport.portdashBinary, "\(range.first)-\(range.last)", dir + "/leases.json"])
        try #require(r.status != 99, "cannot bind-mount here: \(r.stderr)")
        #expect(r.status == 0 && r.stderr.contains("in place"), "\(r.stderr)")
        let same = TestSupport.readFile(source) == original + newBlock
        #expect(same, "the bind-mounted file is not the old one plus the block")
        #expect(info(source).st_ino == inode)
        #expect(TestSupport.readFile(mountPoint) == [], "the bind mount leaked out of its namespace")
        #expect(noTemporaries(in: dir))
    }
}
