import Testing
import PortKit
import SystemPackage

/// Every errno is named (strerrorname_np), not only those a table listed.
@Suite("errno text")
struct ErrnoTextTests {
    @Test("the text and the symbolic name, for common and rare errnos alike")
    func named() {
        #expect(errnoText(Errno.addressInUse) == "Address already in use (EADDRINUSE)")
        #expect(errnoText(Errno.notSocket).hasSuffix("(ENOTSOCK)"))
        #expect(errnoText(Errno.connectionRefused).hasSuffix("(ECONNREFUSED)"))
        // No such errno: the text alone, no empty parentheses.
        #expect(!errnoText(Int32(9999)).hasSuffix(")"))
    }
}
