import SystemPackage
import Glibc

/// The state file's directory, like OpenSSH's StrictModes: whoever can write
/// to the directory can replace the file (rename over it, unlink it), so the
/// directory must be ours or root's and writable by nobody else, unless it
/// has the sticky bit (/tmp), where others cannot remove or rename our files.
extension LeaseStore {
    /// Creates the missing directories (each 0700 whatever the umask), then
    /// checks the state file's directory.
    func ensureDirectory() throws(PortKitError) {
        if (try? Stat(FilePath(directory))) == nil { try createDirectories() }
        try checkDirectory()
    }

    func createDirectories() throws(PortKitError) {
        switch PrivateDirectory.create(directory) {
        case .success: return
        case .failure(.cannotMake(let dir, let err)):
            throw .stateNotWritable(path: path, directory: parentDirectory(of: dir), errno: err)
        case .failure(.unsafe(let dir, _)):
            try checkDirectory(dir)  // ours and private, unless someone raced us to it
        }
    }

    /// Refuses a directory others could replace the state file in. An absent
    /// one is fine here (nothing to read; `ensureDirectory` creates it).
    func checkDirectory(_ dir: String? = nil) throws(PortKitError) {
        let dir = dir ?? directory
        switch PrivateDirectory.check(dir) {
        case .safe, .absent: return
        case .unreadable(let error):
            throw .badStateFile(path: path, problem: "its directory \(dir) cannot be read: \(errnoText(error))")
        case .notDirectory:
            throw .badStateFile(path: path, problem: "\(dir) is not a directory")
        case .unsafe(let mode, let owner):
            throw .unsafeStateDirectory(directory: dir, mode: mode, owner: owner)
        }
    }

    func parentDirectory(of dir: String) -> String {
        guard let slash = dir.lastIndex(of: "/") else { return "." }
        return slash == dir.startIndex ? "/" : String(dir[..<slash])
    }
}
