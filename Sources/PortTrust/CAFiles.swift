import PortKit
import SystemPackage
import Glibc

/// The CA's directory, 0700 and the user's:
///
/// - `ca.pem`: the root certificate, the one the trust stores get;
/// - `intermediate.pem`: the certificate that signs leaves;
/// - `intermediate-key.pem`: its key, PKCS#8, 0600.
///
/// The root's key is never written anywhere (LocalCA.create). The directory
/// appears whole or not at all: it is filled under a temporary name and
/// renamed into place, so two `portdash trust` at once end with one CA.
public struct CAFiles: Sendable {
    public let directory: String
    public init(directory: String) { self.directory = directory }

    public var rootPath: String { directory + "/ca.pem" }
    public var intermediatePath: String { directory + "/intermediate.pem" }
    public var keyPath: String { directory + "/intermediate-key.pem" }

    /// Largest file we read: a PEM certificate is about 1 KiB.
    static let limit = 64 << 10

    /// The three files' text, after the directory and the key passed the strict-mode checks.
    func read() throws(TrustError) -> (root: String, intermediate: String, key: String) {
        try checkDirectory()
        return (try text(rootPath, secret: false), try text(intermediatePath, secret: false), try text(keyPath, secret: true))
    }

    /// The directory is there, a directory, and ours alone (the state directory's strict rules).
    func checkDirectory() throws(TrustError) {
        switch PrivateDirectory.check(directory, rootMayOwn: false, stickyCounts: false) {
        case .safe: break
        case .absent: throw .noCA(directory: directory)
        case .unreadable(let e): throw .damaged(path: directory, problem: "cannot be read: \(errnoText(e))")
        case .notDirectory: throw .damaged(path: directory, problem: "is not a directory")
        case .unsafe(let mode, let owner): throw .unsafeDirectory(directory: directory, mode: mode, owner: owner)
        }
    }

    /// A file of ours, whole; a `secret` one must be readable by us alone.
    func text(_ path: String, secret: Bool) throws(TrustError) -> String {
        let fd: FileDescriptor
        switch Syscalls.open(FilePath(path), .readOnly, [.noFollow, .nonBlocking]) {
        case .success(let f): fd = f
        case .failure(.noSuchFileOrDirectory): throw .damaged(path: path, problem: "it is missing")
        case .failure(.tooManySymbolicLinkLevels): throw .damaged(path: path, problem: "it is a symbolic link, which is not followed")
        case .failure(let e): throw .damaged(path: path, problem: "cannot be opened: \(errnoText(e))")
        }
        defer { try? fd.close() }
        guard let st = try? fd.stat(), st.type == .regular else { throw .damaged(path: path, problem: "it is not a regular file") }
        let mode = UInt32(st.permissions.rawValue & 0o7777)
        if st.userID.rawValue != geteuid() {
            let problem = "belongs to uid \(st.userID.rawValue), not to you (uid \(geteuid()))"
            if secret { throw .unsafeKey(path: path, problem: problem) }
            throw .damaged(path: path, problem: problem)
        }
        if secret && mode & 0o077 != 0 {
            throw .unsafeKey(path: path, problem: "can be read or written by others (mode \(PrivateDirectory.octal(mode)))")
        }
        guard let bytes = try? Syscalls.readWhole(fd, limit: CAFiles.limit),
              let text = String(validating: bytes, as: UTF8.self) else {
            throw .damaged(path: path, problem: "it cannot be read whole, is over 64 KiB or is not text")
        }
        return text
    }

    /// Writes the three files into a new directory and renames it into
    /// place. false: another process made the CA first (ours is discarded).
    func create(root: String, intermediate: String, key: String) throws(TrustError) -> Bool {
        let parent = directory.lastIndex(of: "/").map { String(directory[..<$0]) } ?? "."
        if !parent.isEmpty, case .failure(let f) = PrivateDirectory.create(parent) {
            switch f {
            case .cannotMake(let dir, let e): throw .cannotWrite(path: dir, errno: e)
            case .unsafe(let dir, .unsafe(let mode, let owner)): throw .unsafeDirectory(directory: dir, mode: mode, owner: owner)
            case .unsafe(let dir, _): throw .damaged(path: dir, problem: "is not a usable directory")
            }
        }
        // Unique per call: two threads of one process may race here too.
        let temporary = directory + ".new-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        guard mkdir(temporary, 0o700) == 0 else { throw .cannotWrite(path: temporary, errno: Errno(rawValue: errno)) }
        chmod(temporary, 0o700)
        let files = [(CAFiles(directory: temporary).rootPath, root, mode_t(0o644)),
                     (CAFiles(directory: temporary).intermediatePath, intermediate, 0o644),
                     (CAFiles(directory: temporary).keyPath, key, 0o600)]
        for (path, text, mode) in files {
            if case .failure(let e) = NewFile.write(Array(text.utf8), to: path, mode: mode) {
                CAFiles.remove(temporary)
                throw .cannotWrite(path: path, errno: e)
            }
        }
        if rename(temporary, directory) == 0 { return true }
        let e = Errno(rawValue: errno)
        CAFiles.remove(temporary)
        if e == .directoryNotEmpty || e == .fileExists { return false }
        throw .cannotWrite(path: directory, errno: e)
    }

    /// Removes a directory we made and the plain files in it.
    static func remove(_ dir: String) {
        for name in ["ca.pem", "intermediate.pem", "intermediate-key.pem"] { unlink(dir + "/" + name) }
        rmdir(dir)
    }
}
