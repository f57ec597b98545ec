import Testing
@testable import PortKit
import PortKitTestSupport
import SystemPackage
import Glibc

/// HostsFile's guards, below the command: an edit made between the read and
/// the write is never overwritten, and an in-place write that fails part way
/// puts the old bytes back.
@Suite("HostsFile: the guards around a write", .serialized)
struct HostsFileTests {
    let dir = TestSupport.temporaryDirectory("portdash-hostsfile")

    @Test("an edit or a replacement between portdash's read and its write: changedMeanwhile, nothing written")
    func changedMeanwhile() throws {
        defer { TestSupport.removeTree(dir) }
        let file = dir + "/hosts", hosts = HostsFile(path: file)
        TestSupport.writeBytes(file, Array("127.0.0.1 localhost\n".utf8), mode: 0o644)
        let (original, st) = try hosts.read(file)
        try hosts.unchanged(file, since: original, st)  // nothing happened: no error
        TestSupport.writeBytes(file, Array("127.0.0.1 localhost\n10.0.0.1 added\n".utf8), mode: 0o644)  // same inode, new bytes
        #expect(throws: HostsFileError.changedMeanwhile(path: file)) { try hosts.unchanged(file, since: original, st) }
        TestSupport.writeBytes(dir + "/other", original, mode: 0o644)
        #expect(rename(dir + "/other", file) == 0)  // same bytes, another file
        #expect(throws: HostsFileError.changedMeanwhile(path: file)) { try hosts.unchanged(file, since: original, st) }
        let now = try hosts.read(file).0
        #expect(throws: HostsFileError.changedMeanwhile(path: file)) { try hosts.rewriteInPlace(file, original + [0x23, 0x0A], original: now, st) }
        #expect(TestSupport.readFile(file) == original)
    }

    @Test("in place on a full file system: the write fails, the old bytes are put back, and it says so",
          .enabled(if: geteuid() == 0, "needs root to mount a small tmpfs (CI runs as root)"))
    func inPlaceRestores() throws {
        defer { TestSupport.removeTree(dir) }
        guard let fs = TmpfsMount.make(at: dir + "/small", bytes: 64 << 10, for: "an in-place write on a full disk") else { return }
        defer { fs.unmount() }
        let file = fs.path + "/hosts", hosts = HostsFile(path: file)
        let original = Array(String(repeating: "127.0.0.1 localhost\n", count: 100).utf8)
        TestSupport.writeBytes(file, original, mode: 0o644)
        fs.fill(fs.path + "/filler")
        let (read, st) = try hosts.read(file)
        let bigger = read + [UInt8](repeating: 0x23, count: 256 << 10)
        #expect(throws: HostsFileError.inPlaceWriteFailed(path: file, errno: .noSpace, restored: true)) {
            try hosts.rewriteInPlace(file, bigger, original: read, st)
        }
        #expect(TestSupport.readFile(file) == original)
    }
}
