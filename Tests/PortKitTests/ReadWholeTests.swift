import Testing
@testable import PortKit
import PortKitTestSupport
import SystemPackage
import Glibc

/// `Syscalls.readWhole`, the one way portdash reads a file: all of it, or a
/// typed error naming the size and the limit; never a prefix.
@Suite("readWhole: the whole file or a typed refusal")
struct ReadWholeTests {
    let dir = TestSupport.temporaryDirectory("portdash-readwhole")

    func read(_ path: String, limit: Int) -> Result<[UInt8], WholeFileError> {
        Syscalls.readWholeFile(FilePath(path), limit: limit)
    }

    @Test("a regular file: at the limit it is read whole; one byte over, refused with its size before a byte is read")
    func regularFile() throws {
        defer { TestSupport.removeTree(dir) }
        let bytes = (0..<1000).map { UInt8($0 % 251) }
        TestSupport.writeBytes(dir + "/f", bytes, mode: 0o644)
        #expect(try read(dir + "/f", limit: 1000).get() == bytes)
        #expect(throws: WholeFileError.tooLarge(size: 1000, limit: 999)) { try read(dir + "/f", limit: 999).get() }
        let text = WholeFileError.tooLarge(size: 5 << 20, limit: 4 << 20).description
        #expect(text == "is 5242880 bytes, more than the 4 MiB (4194304 bytes) portdash reads")
    }

    @Test("a descriptor with no size (a pipe, as /proc files and sockets report 0): more than the limit is refused, not cut")
    func noSize() throws {
        defer { TestSupport.removeTree(dir) }
        for (count, limit) in [(4096, 4096), (4097, 4096), (200_000, 65536)] {
            let (readEnd, writeEnd) = try Syscalls.pipe().get()  // close-on-exec: the writer holds only its end
            let writer = ChildProcess(["/bin/sh", "-c", "head -c \(count) /dev/zero >&3"], inherit: [3: writeEnd.rawValue])
            try writeEnd.close()
            let result = Result { () throws(WholeFileError) in try Syscalls.readWhole(readEnd, limit: limit) }
            try readEnd.close()
            _ = writer.waitForExit()
            if count <= limit {
                #expect(try result.get().count == count)
            } else {
                #expect(throws: WholeFileError.tooLarge(size: nil, limit: Int64(limit))) { try result.get() }
            }
        }
    }

    @Test("a file that is not there: the errno, typed")
    func missing() {
        defer { TestSupport.removeTree(dir) }
        #expect(throws: WholeFileError.system(.noSuchFileOrDirectory)) { try read(dir + "/absent", limit: 10).get() }
    }
}
