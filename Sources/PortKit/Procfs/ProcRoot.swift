import SystemPackage
import Glibc

/// Where /proc is. Injected so tests run the same code on a fixture tree
/// (prometheus/procfs's `NewFS(mountPoint)`).
public struct ProcRoot: Sendable, Equatable {
    public static let system = ProcRoot(path: "/proc")
    public let path: String

    public init(path: String) { self.path = path }

    /// Reads `<root>/<relative>` whole (64 MiB at most), never a prefix.
    public func read(_ relative: String) -> Result<[UInt8], WholeFileError> {
        Syscalls.readWholeFile(FilePath(path).appending(relative))
    }

    /// Opens the root as a directory descriptor for *at() calls.
    func openDirectory() throws(PortKitError) -> FileDescriptor {
        switch Syscalls.open(FilePath(path), .readOnly, .directory) {
        case .success(let fd): return fd
        case .failure(let e): throw .procUnavailable(path: path, errno: e)
        }
    }

    /// The numeric entries of the root: the pids, in directory order.
    public func pids() throws(PortKitError) -> [Int32] {
        guard let dir = opendir(path) else { throw .procUnavailable(path: path, errno: Errno(rawValue: errno)) }
        defer { closedir(dir) }
        var pids: [Int32] = []
        pids.reserveCapacity(512)
        while let entry = readdir(dir) {
            let pid = withUnsafeBytes(of: entry.pointee.d_name) { raw -> Int32 in
                var value: Int32 = 0
                for byte in raw {
                    if byte == 0 { break }
                    guard byte >= 48 && byte <= 57 else { return 0 }
                    value = value &* 10 &+ Int32(byte - 48)
                }
                return value
            }
            if pid > 0 { pids.append(pid) }
        }
        return pids
    }
}
