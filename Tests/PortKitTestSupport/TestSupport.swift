import PortKit

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc

/// Helpers shared by the test targets: real sockets on ports the test found
/// free itself (never 5000-5010), real child processes, temporary files.
public enum TestSupport {
    /// A run of `count` (at most 16) consecutive ports that bind as free on
    /// IPv4 and IPv6 and that no other test of any running suite can be
    /// given: ports 20000-31999 (below the ephemeral range, so outgoing
    /// connections do not race us for them; never the user's 5000-5010) are
    /// claimed in blocks of 16 with a flock(2) held for the life of the test
    /// process (`PortClaims`), and each block is handed out once. A probe
    /// then a bind can then only lose to a process outside the test suites.
    public static func freeRange(count: Int) -> PortRange {
        precondition(count >= 1 && count <= PortClaims.blockSize, "freeRange: 1 to \(PortClaims.blockSize) ports")
        let probe = BindProbe()
        while true {
            let base = PortClaims.shared.claimBlock()
            let ports = (0..<count).map { base + UInt16($0) }
            if ports.allSatisfy({ probe.probe($0).isFree }) {
                return PortRange(uncheckedFirst: ports.first!, last: ports.last!)
            }
        }
    }

    /// A directory under the system temp dir, removed by `cleanup`.
    public static func temporaryDirectory(_ tag: String = "portdash-test") -> String {
        var template = Array("/tmp/\(tag)-XXXXXX".utf8CString)
        let p = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(p != nil, "mkdtemp failed")
        return String(cString: p!)
    }

    public static func removeTree(_ path: String) {
        _ = runCommand(["/bin/rm", "-rf", path])
    }

    /// Writes a file (creating it), for fixtures built at test time.
    public static func writeFile(_ path: String, _ text: String, mode: mode_t = 0o644) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        precondition(fd >= 0, "open \(path) failed: \(errno)")
        var t = text
        t.withUTF8 { _ = write(fd, $0.baseAddress, $0.count) }
        close(fd)
    }

    public static func readFile(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { return nil }
        defer { close(fd) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fd, &buf, buf.count)
            if n <= 0 { break }
            out += buf[0..<n]
        }
        return out
    }

    /// Runs a command to completion; returns (status, stdout, stderr).
    @discardableResult
    public static func runCommand(_ argv: [String], environment: [String: String] = [:], stdin: String? = nil, directory: String? = nil)
        -> (status: Int32, stdout: String, stderr: String) {
        let child = ChildProcess(argv, environment: environment, captureOutput: true, stdin: stdin, directory: directory)
        return child.waitForExit()
    }

    /// The built `portdash` executable next to the test bundle.
    public static var portdashBinary: String { binary("portdash") }

    /// The built `portdash-serve` executable next to the test bundle.
    public static var serveBinary: String { binary("portdash-serve") }

    /// An executable of this package, found in the nearest directory above the test bundle that has it.
    public static func binary(_ name: String) -> String {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        var dir = n > 0 ? String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : ".build/debug/x"
        // …/debug/portdashPackageTests.xctest → …/debug
        while let slash = dir.lastIndex(of: "/") {
            dir = String(dir[..<slash])
            if access(dir + "/" + name, X_OK) == 0 { return dir + "/" + name }
            if dir.isEmpty { break }
        }
        return ".build/debug/" + name
    }
}

extension TestSupport {
    /// `pids` without the test process's own forks that another test was
    /// spawning at that moment: between fork and exec a child holds a copy of
    /// every descriptor (close-on-exec acts only at exec), so for a moment it
    /// really does hold our sockets. The product is right to list it; a test
    /// asserting exact holders must not count it. `keep` are the pids the
    /// test itself expects (its own children among them).
    public static func withoutPassingForks(_ pids: [Int32], keep: Set<Int32>) -> [Int32] {
        pids.filter { keep.contains($0) || !isForkOfOurs($0) }
    }

    /// The same for (pid, fd) references.
    public static func withoutPassingForks(_ refs: [FDRef], keep: Set<Int32>) -> [FDRef] {
        refs.filter { keep.contains($0.pid) || !isForkOfOurs($0.pid) }
    }

    /// A child of this process, or gone already (a passing fork that exec'd
    /// and exited before we looked).
    static func isForkOfOurs(_ pid: Int32) -> Bool {
        guard let stat = ProcessReader().stat(pid) else { return true }
        return stat.ppid == getpid()
    }
}

extension TestSupport {
    /// Whether `sig` is set in a signal mask line of /proc/PID/status
    /// ("SigCgt:" caught, "SigIgn:" ignored; hex, bit N-1 for signal N). A
    /// test waits on it so it signals a shell only after its trap is set.
    public static func signalMask(_ pid: pid_t, _ field: String, contains sig: Int32) -> Bool {
        guard let raw = readFile("/proc/\(pid)/status") else { return false }
        let line = String(decoding: raw, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix(field + ":") }
        guard let hex = line?.split(separator: "\t").last, let mask = UInt64(hex, radix: 16) else { return false }
        return mask & (1 << UInt64(sig - 1)) != 0
    }
}
