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
        let dir = directory
        var prefix = dir.hasPrefix("/") ? "" : "."
        for part in dir.split(separator: "/", omittingEmptySubsequences: true) {
            prefix += "/" + part
            if mkdir(prefix, 0o700) == 0 {
                chmod(prefix, 0o700)
                try checkDirectory(prefix)  // ours and private, unless someone raced us to it
            } else if errno != EEXIST {
                throw .stateNotWritable(path: path, directory: parentDirectory(of: prefix), errno: Errno(rawValue: errno))
            }
        }
    }

    /// Refuses a directory others could replace the state file in. An absent
    /// one is fine here (nothing to read; `ensureDirectory` creates it).
    func checkDirectory(_ dir: String? = nil) throws(PortKitError) {
        let dir = dir ?? directory
        let st: Stat
        do { st = try Stat(FilePath(dir)) } catch {
            if error == .noSuchFileOrDirectory { return }
            throw .badStateFile(path: path, problem: "its directory \(dir) cannot be read: \(errnoText(error))")
        }
        guard st.type == .directory else { throw .badStateFile(path: path, problem: "\(dir) is not a directory") }
        let permissions = st.permissions
        let openToOthers = !permissions.isDisjoint(with: [.groupWrite, .otherWrite]) && !permissions.contains(.saveText)
        let owner = st.userID.rawValue
        if openToOthers || (owner != geteuid() && owner != 0) {
            throw .unsafeStateDirectory(directory: dir, mode: UInt32(permissions.rawValue & 0o7777), owner: owner)
        }
    }

    func parentDirectory(of dir: String) -> String {
        guard let slash = dir.lastIndex(of: "/") else { return "." }
        return slash == dir.startIndex ? "/" : String(dir[..<slash])
    }
}
