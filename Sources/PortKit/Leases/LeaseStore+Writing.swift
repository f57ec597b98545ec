import SystemPackage
import Glibc

/// Writing: every byte goes to a temporary file beside the state file first,
/// so the state file itself is only ever replaced whole. A failure the system
/// reports (full disk, read-only file system) is `.stateNotWritable`, never
/// "damaged file": the file on disk is still the old, good one.
extension LeaseStore {
    /// temp file → fsync → rename → fsync(dir). Only under the state file's lock.
    func write(_ bytes: [UInt8]) throws(PortKitError) {
        let temp = try writeTemporary(bytes)
        if rename(temp, path) != 0 {
            let e = Errno(rawValue: errno)
            unlink(temp)
            throw .stateNotWritable(path: path, directory: directory, errno: e)
        }
        syncDirectory()
    }

    /// An empty book at `path` unless a file is there already: link(2) fails
    /// rather than replace one another writer just created. Not fsynced: lost
    /// in a crash, it is an absent file, which reads as the same empty book.
    func createEmpty() throws(PortKitError) {
        let temp = try writeTemporary(LeaseBook().encoded(), durably: false)
        defer { unlink(temp) }
        if link(temp, path) != 0 && errno != EEXIST {
            throw .stateNotWritable(path: path, directory: directory, errno: Errno(rawValue: errno))
        }
    }

    /// A new file beside the state file holding `bytes`, fsynced if
    /// `durably`. Its name carries our pid, so stale ones can be told from live ones.
    func writeTemporary(_ bytes: [UInt8], durably: Bool = true) throws(PortKitError) -> String {
        let temp = directory + "/." + baseName + ".tmp." + String(getpid())
        removeStaleTemporaries()
        unlink(temp)
        if case .failure(let e) = NewFile.write(bytes, to: temp, mode: 0o600, durably: durably) {
            throw .stateNotWritable(path: path, directory: directory, errno: e)
        }
        return temp
    }

    /// Before the first write over a file of an older version: a copy of it
    /// as `<file>.v1` (for version 1), so the older portdash's file is not
    /// lost with the upgrade. Once: a copy already there is left alone.
    func keepOldVersion(_ bytes: [UInt8], version: Int) throws(PortKitError) {
        let copy = path + ".v" + String(version)
        let temp = try writeTemporary(bytes)
        defer { unlink(temp) }
        // link(2) fails rather than replace an earlier copy.
        if link(temp, copy) != 0 && errno != EEXIST {
            throw .stateNotWritable(path: path, directory: directory, errno: Errno(rawValue: errno))
        }
    }

    func syncDirectory() { Syscalls.syncDirectory(directory) }

    /// Temporaries left by a writer killed mid-write: those whose pid is no
    /// longer running. A live writer's (one creating the file while we hold
    /// the lock) is left alone.
    func removeStaleTemporaries() {
        guard let d = opendir(directory) else { return }
        defer { closedir(d) }
        let prefix = "." + baseName + ".tmp."
        while let e = readdir(d) {
            let name = withUnsafePointer(to: &e.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            guard name.hasPrefix(prefix), let pid = Int32(name.dropFirst(prefix.count)) else { continue }
            if pid != getpid() && (kill(pid, 0) == 0 || errno == EPERM) { continue }
            unlink(directory + "/" + name)
        }
    }
}
