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
        var st = stat()
        if stat(directory, &st) != 0 { try createDirectories() }
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
        var st = stat()
        guard stat(dir, &st) == 0 else {
            if errno == ENOENT { return }
            throw .badStateFile(path: path, problem: "its directory \(dir) cannot be read: \(errnoText(Errno(rawValue: errno)))")
        }
        guard st.st_mode & S_IFMT == S_IFDIR else { throw .badStateFile(path: path, problem: "\(dir) is not a directory") }
        let openToOthers = st.st_mode & 0o022 != 0 && st.st_mode & S_ISVTX == 0
        let foreign = st.st_uid != geteuid() && st.st_uid != 0
        if openToOthers || foreign {
            throw .unsafeStateDirectory(directory: dir, mode: UInt32(st.st_mode & 0o7777), owner: UInt32(st.st_uid))
        }
    }

    func parentDirectory(of dir: String) -> String {
        guard let slash = dir.lastIndex(of: "/") else { return "." }
        return slash == dir.startIndex ? "/" : String(dir[..<slash])
    }
}
