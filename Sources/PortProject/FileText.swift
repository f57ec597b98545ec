import PortKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A small text file (a project file, the user's config), read whole.
enum FileText {
    /// Larger is not a project file anyone wrote by hand.
    static let limit = 1 << 20

    enum Outcome {
        case text(String)
        case absent
    }

    /// The file as UTF-8 text; `.absent` when there is no such file, or
    /// (`deniedIsAbsent`) one we may not read: a user config under a $HOME
    /// that is not ours (a command run as another user) is not our config.
    static func read(_ path: String, deniedIsAbsent: Bool = false) throws(PortKitError) -> Outcome {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT || errno == ENOTDIR || (deniedIsAbsent && errno == EACCES) { return .absent }
            throw .badProjectFile(path: path, line: nil, problem: "cannot be read: \(errnoText(errno))")
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while bytes.count <= limit {
            let n = Glibc.read(fd, &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw .badProjectFile(path: path, line: nil, problem: "cannot be read: \(errnoText(errno))") }
            if n == 0 { break }
            bytes += buffer[0..<n]
        }
        if bytes.count > limit { throw .badProjectFile(path: path, line: nil, problem: "is larger than \(limit >> 20) MiB") }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .badProjectFile(path: path, line: nil, problem: "is not UTF-8 text")
        }
        return .text(text)
    }
}
